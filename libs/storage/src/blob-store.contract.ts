// The behaviour every BlobStore adapter promises (blob-store.ts), as one jest suite run against each:
// FsBlobStore in fs-blob-store.spec.ts, S3BlobStore on a real S3 server in
// s3-blob-store.integration-spec.ts. Every test works under its own random key prefix, so runs can share
// a bucket or a folder.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BlobStore } from './blob-store';
import { BlobChecksumMismatchError, BlobNotFoundError, BlobRangeError, InvalidBlobKeyError } from './storage-errors';

export interface BlobStoreContractOptions {
  /**
   * Size of the "large" blobs: more than one multipart part for S3, so that several parts, their
   * boundaries and their abort are exercised. Default 11 MiB + 123 bytes.
   */
  largeBlobBytes?: number;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A stream of `bytes` in chunks of varied sizes, as a network body arrives. */
function streamOf(bytes: Buffer): Readable {
  const sizes = [1, 7, 1000, 65536, 3, 200_000];
  return Readable.from(
    (function* chunks() {
      for (let offset = 0, i = 0; offset < bytes.length; i++) {
        const size = sizes[i % sizes.length];
        yield bytes.subarray(offset, offset + size);
        offset += size;
      }
    })(),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keysUnder(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list(prefix)) keys.push(key);
  return keys;
}

/**
 * A body that produces random bytes without end, in 64 KiB chunks, and calls `after` once `threshold`
 * bytes were taken from it: the stand-in for an upload cut off in the middle.
 */
function endlessBody(threshold: number, after: (body: Readable) => void): Readable {
  let produced = 0;
  let fired = false;
  return new Readable({
    read() {
      const chunk = randomBytes(64 * 1024);
      produced += chunk.length;
      this.push(chunk);
      if (produced >= threshold && !fired) {
        fired = true;
        setImmediate(() => after(this));
      }
    },
  });
}

export function describeBlobStoreContract(
  name: string,
  factory: () => BlobStore | Promise<BlobStore>,
  options: BlobStoreContractOptions = {},
): void {
  const largeBlobBytes = options.largeBlobBytes ?? 11 * 1024 * 1024 + 123;

  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    const run = `contract-${randomUUID()}`;
    let testNumber = 0;
    let prefix: string;

    beforeAll(async () => {
      store = await factory();
    });
    beforeEach(() => {
      testNumber += 1;
      prefix = `${run}/t${testNumber}/`;
    });
    afterAll(async () => {
      for await (const { key } of store.list(`${run}/`)) await store.delete(key);
    });

    it('returns the bytes it stored, bit-exact, with their size and SHA-256', async () => {
      for (const size of [1, 1000, largeBlobBytes]) {
        const bytes = randomBytes(size);
        const key = `${prefix}blob-${size}.dcm`;
        const stored = await store.put(key, streamOf(bytes), { contentType: 'application/dicom' });
        expect(stored).toEqual({ key, size, sha256: sha256(bytes) });
        const read = await readAll(await store.get(key));
        expect(read.length).toBe(size);
        expect(sha256(read)).toBe(sha256(bytes));
        expect(read.equals(bytes)).toBe(true);
      }
    });

    it('stores and reads an empty blob', async () => {
      const key = `${prefix}empty`;
      const stored = await store.put(key, Readable.from([]));
      expect(stored).toEqual({ key, size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await readAll(await store.get(key))).length).toBe(0);
      expect(await store.head(key)).toEqual({ size: 0 });
      expect((await readAll(await store.get(key, { offset: 0, length: 0 }))).length).toBe(0);
      await expect(store.get(key, { offset: 0, length: 1 })).rejects.toBeInstanceOf(BlobRangeError);
    });

    it('reads byte ranges at the edges of a blob, exactly', async () => {
      const bytes = randomBytes(1000);
      const key = `${prefix}ranges`;
      await store.put(key, streamOf(bytes));
      const cases: Array<[number, number]> = [
        [0, 1],
        [999, 1],
        [0, 1000],
        [1, 998],
        [500, 0],
        [1000, 0],
        [0, 0],
      ];
      for (const [offset, length] of cases) {
        const read = await readAll(await store.get(key, { offset, length }));
        expect([offset, length, read.equals(bytes.subarray(offset, offset + length))]).toEqual([offset, length, true]);
      }
    });

    it('rejects a range outside the blob with BlobRangeError, without shortening it', async () => {
      const key = `${prefix}ranges`;
      await store.put(key, streamOf(randomBytes(1000)));
      const outside: Array<[number, number]> = [
        [999, 2],
        [1000, 1],
        [1001, 0],
        [5000, 10],
        [-1, 1],
        [0, -1],
        [0.5, 1],
      ];
      for (const [offset, length] of outside) {
        await expect(store.get(key, { offset, length })).rejects.toBeInstanceOf(BlobRangeError);
      }
    });

    it('reads a range across the parts of a large blob', async () => {
      const bytes = randomBytes(largeBlobBytes);
      const key = `${prefix}large`;
      await store.put(key, streamOf(bytes));
      const MiB = 1024 * 1024;
      for (const [offset, length] of [
        [5 * MiB - 10, 20],
        [8 * MiB - 1, 2],
        [largeBlobBytes - 7, 7],
        [3, largeBlobBytes - 3],
      ]) {
        const read = await readAll(await store.get(key, { offset, length }));
        expect(read.equals(bytes.subarray(offset, offset + length))).toBe(true);
      }
    });

    it('leaves nothing behind when the upload is aborted midway', async () => {
      const key = `${prefix}aborted`;
      const controller = new AbortController();
      const body = endlessBody(largeBlobBytes, () => controller.abort());
      await expect(store.put(key, body, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await keysUnder(store, prefix)).toEqual([]);
    });

    it('keeps the previous blob when an overwrite is aborted', async () => {
      const key = `${prefix}kept`;
      const original = randomBytes(3000);
      await store.put(key, streamOf(original));
      const controller = new AbortController();
      const body = endlessBody(largeBlobBytes, () => controller.abort());
      await expect(store.put(key, body, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect((await readAll(await store.get(key))).equals(original)).toBe(true);
    });

    it('rejects with an already aborted signal and stores nothing', async () => {
      const key = `${prefix}pre-aborted`;
      await expect(store.put(key, streamOf(randomBytes(100)), { signal: AbortSignal.abort() })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(await store.head(key)).toBeUndefined();
    });

    it("rejects with the body's own error and leaves nothing behind when the body fails", async () => {
      for (const threshold of [10, largeBlobBytes]) {
        const key = `${prefix}broken-${threshold}`;
        const failure = new Error('client connection lost');
        const body = endlessBody(threshold, (stream) => stream.destroy(failure));
        await expect(store.put(key, body)).rejects.toBe(failure);
        expect(await store.head(key)).toBeUndefined();
      }
      expect(await keysUnder(store, prefix)).toEqual([]);
    });

    it('stores a body whose SHA-256 is the expected one, in either case', async () => {
      const bytes = randomBytes(5000);
      const key = `${prefix}checked`;
      const stored = await store.put(key, streamOf(bytes), { expectedSha256: sha256(bytes).toUpperCase() });
      expect(stored.sha256).toBe(sha256(bytes));
    });

    it('rejects a body whose SHA-256 differs from the expected one and stores nothing', async () => {
      for (const size of [5000, largeBlobBytes]) {
        const bytes = randomBytes(size);
        const key = `${prefix}mismatch-${size}`;
        const wrong = sha256(Buffer.from('something else'));
        const rejection = store.put(key, streamOf(bytes), { expectedSha256: wrong });
        await expect(rejection).rejects.toBeInstanceOf(BlobChecksumMismatchError);
        await expect(rejection).rejects.toMatchObject({ expectedSha256: wrong, actualSha256: sha256(bytes) });
        expect(await store.head(key)).toBeUndefined();
      }
    });

    it('stores concurrent puts to different keys, each intact', async () => {
      const blobs = Array.from({ length: 8 }, (_, i) => ({
        key: `${prefix}concurrent/${i}`,
        bytes: randomBytes(50_000 + i * 7919),
      }));
      const stored = await Promise.all(blobs.map(({ key, bytes }) => store.put(key, streamOf(bytes))));
      expect(stored.map((s) => s.sha256)).toEqual(blobs.map(({ bytes }) => sha256(bytes)));
      for (const { key, bytes } of blobs) {
        expect((await readAll(await store.get(key))).equals(bytes)).toBe(true);
      }
    });

    it('replaces a blob on overwrite', async () => {
      const key = `${prefix}overwritten`;
      await store.put(key, streamOf(randomBytes(4000)));
      const second = randomBytes(1234);
      const stored = await store.put(key, streamOf(second));
      expect(stored.size).toBe(1234);
      expect(await store.head(key)).toEqual({ size: 1234 });
      expect((await readAll(await store.get(key))).equals(second)).toBe(true);
      expect(await keysUnder(store, prefix)).toEqual([key]);
    });

    it('shows readers the old blob or the new one during an overwrite, never a mix', async () => {
      const key = `${prefix}swapped`;
      const versions = [randomBytes(2 * 1024 * 1024), randomBytes(2 * 1024 * 1024 + 1)];
      const digests = versions.map(sha256);
      await store.put(key, streamOf(versions[0]));
      let writing = true;
      const seen = new Set<string>();
      const reader = (async () => {
        while (writing) seen.add(sha256(await readAll(await store.get(key))));
      })();
      for (let i = 1; i <= 4; i++) await store.put(key, streamOf(versions[i % 2]));
      writing = false;
      await reader;
      expect([...seen].filter((digest) => !digests.includes(digest))).toEqual([]);
    });

    it('lists by prefix, in UTF-8 byte order of the keys, with sizes', async () => {
      const keys = ['a', 'b/c', 'b-d', 'ba', 'b/e/f', 'é'];
      for (const [i, key] of keys.entries()) await store.put(`${prefix}${key}`, streamOf(randomBytes(i + 1)));
      await store.put(`${prefix.slice(0, -1)}-sibling/x`, streamOf(randomBytes(1)));

      const all: Array<{ key: string; size: number }> = [];
      for await (const item of store.list(prefix)) all.push(item);
      // '-' (0x2d) < '/' (0x2f) < 'a' (0x61) < 'é' (0xc3 0xa9)
      expect(all).toEqual([
        { key: `${prefix}a`, size: 1 },
        { key: `${prefix}b-d`, size: 3 },
        { key: `${prefix}b/c`, size: 2 },
        { key: `${prefix}b/e/f`, size: 5 },
        { key: `${prefix}ba`, size: 4 },
        { key: `${prefix}é`, size: 6 },
      ]);
      expect(await keysUnder(store, `${prefix}b`)).toEqual([
        `${prefix}b-d`,
        `${prefix}b/c`,
        `${prefix}b/e/f`,
        `${prefix}ba`,
      ]);
      expect(await keysUnder(store, `${prefix}b/`)).toEqual([`${prefix}b/c`, `${prefix}b/e/f`]);
      expect(await keysUnder(store, `${prefix}b/e/f`)).toEqual([`${prefix}b/e/f`]);
      expect(await keysUnder(store, `${prefix}nothing/`)).toEqual([]);
      expect(await keysUnder(store, `${prefix}nothing`)).toEqual([]);
    });

    it('deletes idempotently', async () => {
      const key = `${prefix}deleted/blob`;
      await store.delete(key);
      await store.put(key, streamOf(randomBytes(10)));
      await store.delete(key);
      await store.delete(key);
      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await keysUnder(store, prefix)).toEqual([]);
    });

    it('answers head with the size, or undefined when there is no blob', async () => {
      const key = `${prefix}headed`;
      expect(await store.head(key)).toBeUndefined();
      await store.put(key, streamOf(randomBytes(777)));
      expect(await store.head(key)).toEqual({ size: 777 });
      // A key that is only a prefix of other keys is no blob.
      await store.put(`${prefix}folder/inner`, streamOf(randomBytes(1)));
      expect(await store.head(`${prefix}folder`)).toBeUndefined();
    });

    it('throws BlobNotFoundError for a missing key, with or without a range', async () => {
      const key = `${prefix}missing`;
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get(key)).rejects.toMatchObject({ key, retryable: false });
      await expect(store.get(key, { offset: 0, length: 1 })).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get(key, { offset: 0, length: 0 })).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('rejects invalid keys with InvalidBlobKeyError before touching the store', async () => {
      for (const key of ['', '/a', 'a/', 'a//b', 'a/../b', '..', '.', 'a/.staging', 'a\\b', 'a\nb', 'x'.repeat(256)]) {
        await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      }
      await expect(keysUnder(store, '../')).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(keysUnder(store, '/')).rejects.toBeInstanceOf(InvalidBlobKeyError);
    });

    it('streams a get lazily: an unread body can be dropped without error', async () => {
      const key = `${prefix}dropped`;
      await store.put(key, streamOf(randomBytes(largeBlobBytes)));
      const stream = await store.get(key);
      stream.destroy();
      await sleep(10);
      expect(await store.head(key)).toEqual({ size: largeBlobBytes });
    });
  });
}
