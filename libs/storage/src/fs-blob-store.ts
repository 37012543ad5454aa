// BlobStore on a local filesystem: the embedded mode's store (PACS_DATA_DIR/blobs).
//
// Layout: a key is a relative path under the root. A blob is written to <root>/.staging/<uuid>, fsynced,
// renamed onto its path (atomic within one filesystem, so readers see the old file or the new one), and
// the folder holding it is fsynced, with every folder the put created, so the rename survives a crash.
// Keys never have a segment starting with '.' (blob-key.ts), so '.staging' is never a key and listing
// skips it.
import { randomUUID } from 'node:crypto';
import { type Dirent, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobKey, assertBlobKey, assertBlobPrefix, blobKeySegmentProblem } from './blob-key';
import { type BlobListing, type BlobStore, type ByteRange, type PutOptions, type StoredBlob } from './blob-store';
import { resolveByteRange } from './byte-range';
import { DigestingStream, assertSha256Hex } from './digesting-stream';
import { BlobNotFoundError, InvalidBlobKeyError, StorageError, StorageUnavailableError } from './storage-errors';

const stagingFolder = '.staging';

/** errno codes of a full, busy or failing disk: worth retrying later rather than a bug. */
const unavailableCodes = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO', 'EROFS']);
/** errno codes meaning "no blob of that key" (a path component missing, or being a file). */
const missingCodes = new Set(['ENOENT', 'ENOTDIR']);

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

function toStorageError(error: unknown, key: string): Error {
  if (error instanceof StorageError) return error;
  const code = errnoOf(error);
  const message = `filesystem blob store, ${key}: ${error instanceof Error ? error.message : String(error)}`;
  if (code !== undefined && unavailableCodes.has(code)) return new StorageUnavailableError(message, { cause: error });
  return new StorageError(message, { cause: error });
}

async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FsBlobStore implements BlobStore {
  readonly #root: string;
  readonly #staging: string;

  constructor(rootDir: string) {
    this.#root = path.resolve(rootDir);
    this.#staging = path.join(this.#root, stagingFolder);
  }

  #pathOf(key: BlobKey): string {
    return path.join(this.#root, ...key.split('/'));
  }

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    assertBlobKey(key);
    assertSha256Hex(options.expectedSha256);
    const target = this.#pathOf(key);
    const temp = path.join(this.#staging, `${randomUUID()}.partial`);
    const digest = new DigestingStream(key, options.expectedSha256);
    // Which stream failed first decides what the caller gets: the body's own error (their input),
    // an abort, a checksum mismatch, or a wrapped filesystem error.
    let fileFailedFirst = false;
    let failed = false;
    body.once('error', () => (failed = true));
    digest.once('error', () => (failed = true));
    try {
      await mkdir(this.#staging, { recursive: true });
      const file = createWriteStream(temp, { flags: 'wx', mode: 0o644, flush: true });
      file.once('error', () => {
        if (!failed) fileFailedFirst = true;
        failed = true;
      });
      try {
        // flush: the file is fsynced before it is closed, so the rename below publishes durable bytes.
        await pipeline(body, digest, file, { signal: options.signal });
      } catch (error) {
        throw fileFailedFirst ? toStorageError(error, key) : error;
      }
      await this.#publish(key, temp, target);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      body.destroy();
      throw error;
    }
    return { key, size: digest.byteCount, sha256: digest.sha256 as string };
  }

  /** Renames the staged file onto the key's path and fsyncs every folder whose entries changed. */
  async #publish(key: BlobKey, temp: string, target: string): Promise<void> {
    const folder = path.dirname(target);
    // A concurrent delete may remove the (empty) folder between mkdir and rename: make it again.
    for (let attempt = 1; ; attempt++) {
      let created: string | undefined;
      try {
        created = await mkdir(folder, { recursive: true });
        await rename(temp, target);
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT' && attempt < 5) continue;
        if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENOTEMPTY') {
          throw new InvalidBlobKeyError(
            key,
            'in the filesystem store a key cannot be both a blob and a folder of other keys',
          );
        }
        throw toStorageError(error, key);
      }
      try {
        const folders = [folder];
        // mkdir returns the first folder it created: the parent of each new folder gained an entry.
        for (let dir = folder; created !== undefined && dir !== path.dirname(created); dir = path.dirname(dir)) {
          folders.push(path.dirname(dir));
        }
        for (const dir of folders) await fsyncFolder(dir);
      } catch (error) {
        throw toStorageError(error, key);
      }
      return;
    }
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable> {
    assertBlobKey(key);
    let handle;
    try {
      handle = await open(this.#pathOf(key), 'r');
    } catch (error) {
      if (missingCodes.has(errnoOf(error) ?? '')) throw new BlobNotFoundError(key, { cause: error });
      throw toStorageError(error, key);
    }
    try {
      // Size and bytes come from the same open file: an overwrite during the read replaces the path,
      // not the file this handle reads.
      const stats = await handle.stat();
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      const { start, end } = resolveByteRange(key, range, stats.size);
      if (end === start) {
        await handle.close();
        return Readable.from([]);
      }
      // Reads of up to 1 MiB (not the default 64 KiB): a frame or a whole blob in few system calls, measured
      // 1.6× faster for series retrieval; a small range still reads only its own bytes.
      const highWaterMark = Math.max(64 * 1024, Math.min(end - start, 1024 * 1024));
      return handle.createReadStream({ start, end: end - 1, highWaterMark });
    } catch (error) {
      await handle.close();
      throw toStorageError(error, key);
    }
  }

  async head(key: BlobKey): Promise<{ size: number } | undefined> {
    assertBlobKey(key);
    try {
      const stats = await stat(this.#pathOf(key));
      return stats.isFile() ? { size: stats.size } : undefined;
    } catch (error) {
      if (missingCodes.has(errnoOf(error) ?? '')) return undefined;
      throw toStorageError(error, key);
    }
  }

  async delete(key: BlobKey): Promise<void> {
    assertBlobKey(key);
    try {
      await unlink(this.#pathOf(key));
    } catch (error) {
      const code = errnoOf(error) ?? '';
      // EISDIR (Linux) / EPERM (macOS): the path is a folder of other keys, so no blob has this key.
      if (missingCodes.has(code) || code === 'EISDIR' || code === 'EPERM') return;
      throw toStorageError(error, key);
    }
    // Remove the folders the delete left empty, up to the root, so deleted studies leave no trees of
    // empty folders; rmdir fails harmlessly on the first folder that is not empty.
    const segments = key.split('/');
    for (let depth = segments.length - 1; depth > 0; depth--) {
      try {
        await rmdir(path.join(this.#root, ...segments.slice(0, depth)));
      } catch {
        break;
      }
    }
  }

  async *list(prefix: string): AsyncIterable<BlobListing> {
    assertBlobPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    yield* this.#walk(prefix.slice(0, slash + 1), prefix.slice(slash + 1));
  }

  /** Keys under the folder `folderKey` ('' or ending in '/') whose next segment starts with `namePrefix`. */
  async *#walk(folderKey: string, namePrefix: string): AsyncIterable<BlobListing> {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(this.#root, folderKey), { withFileTypes: true });
    } catch (error) {
      if (missingCodes.has(errnoOf(error) ?? '')) return;
      throw toStorageError(error, folderKey);
    }
    // S3 lists in UTF-8 byte order of the whole key. A folder's keys all continue with '/', so sorting
    // a folder as "name/" among the file names gives the same order depth-first.
    const sorted = entries
      .filter(
        (entry) =>
          (entry.isFile() || entry.isDirectory()) &&
          entry.name.startsWith(namePrefix) &&
          blobKeySegmentProblem(entry.name) === undefined,
      )
      .map((entry) => ({ entry, sortKey: Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name) }))
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    for (const { entry } of sorted) {
      const key = folderKey + entry.name;
      if (entry.isDirectory()) {
        yield* this.#walk(`${key}/`, '');
        continue;
      }
      try {
        yield { key, size: (await stat(path.join(this.#root, key))).size };
      } catch (error) {
        // Deleted since readdir: not listed, like a key deleted before an S3 listing reached it.
        if (!missingCodes.has(errnoOf(error) ?? '')) throw toStorageError(error, key);
      }
    }
  }
}
