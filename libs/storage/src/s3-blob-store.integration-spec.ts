// S3BlobStore against the real S3 server of scripts/infra/s3.sh (versitygw), whose address and
// credentials the jest global setup puts in process.env (PACS_S3_*).
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { describeBlobStoreContract } from './blob-store.contract';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';
import { BlobNotFoundError, StorageError, StorageUnavailableError } from './storage-errors';

function settingsFromEnv(): S3BlobStoreOptions {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the integration tests through jest.integration.config.js`);
    return value;
  };
  return {
    endpoint: env('PACS_S3_ENDPOINT'),
    region: env('PACS_S3_REGION'),
    bucket: env('PACS_S3_BUCKET'),
    accessKeyId: env('PACS_S3_ACCESS_KEY_ID'),
    secretAccessKey: env('PACS_S3_SECRET_ACCESS_KEY'),
    forcePathStyle: true,
  };
}

const MiB = 1024 * 1024;
const stores: S3BlobStore[] = [];
function newStore(overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  // 5 MiB parts (S3's minimum): the contract's 11 MiB blobs then take three parts.
  const store = new S3BlobStore({ ...settingsFromEnv(), partSize: 5 * MiB, ...overrides });
  stores.push(store);
  return store;
}
afterAll(() => {
  for (const store of stores) store.destroy();
});

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A port on 127.0.0.1 where nothing listens (asked from the kernel, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A TCP proxy to the S3 server that, once, cuts the connection after `cutAfter` bytes of response:
 * the broken download the store must resume.
 */
async function cuttingProxy(
  target: URL,
  cutAfter: number,
): Promise<{ url: string; cuts: () => number; close: () => void }> {
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let delivered = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      delivered += chunk.length;
      if (cuts === 0 && delivered > cutAfter) {
        cuts += 1;
        client.write(chunk.subarray(0, chunk.length - (delivered - cutAfter)));
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describeBlobStoreContract('S3BlobStore on versitygw', () => newStore());

describe('S3BlobStore', () => {
  const prefix = `s3-${randomUUID()}/`;
  afterAll(async () => {
    const store = newStore();
    for await (const { key } of store.list(prefix)) await store.delete(key);
  });

  it('leaves no multipart upload open on the server after an aborted upload', async () => {
    const settings = settingsFromEnv();
    const store = newStore();
    const key = `${prefix}aborted-multipart`;
    const controller = new AbortController();
    let produced = 0;
    const body = new Readable({
      read() {
        produced += 256 * 1024;
        this.push(randomBytes(256 * 1024));
        if (produced === 12 * MiB) setImmediate(() => controller.abort());
      },
    });
    await expect(store.put(key, body, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      credentials: { accessKeyId: settings.accessKeyId!, secretAccessKey: settings.secretAccessKey! },
    });
    try {
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket, Prefix: key }));
      expect(uploads.Uploads ?? []).toEqual([]);
    } finally {
      client.destroy();
    }
  });

  it('resumes a download whose connection breaks midway, bit-exact', async () => {
    const bytes = randomBytes(6 * MiB + 5);
    const key = `${prefix}resumed`;
    await newStore().put(key, Readable.from([bytes]));
    const proxy = await cuttingProxy(new URL(settingsFromEnv().endpoint!), 2 * MiB);
    try {
      const store = newStore({ endpoint: proxy.url, retryPolicy: { attempts: 3, baseDelayMs: 10 } });
      const read = await readAll(await store.get(key));
      expect(proxy.cuts()).toBe(1);
      expect(read.length).toBe(bytes.length);
      expect(sha256(read)).toBe(sha256(bytes));
      const range = await readAll(await store.get(key, { offset: MiB, length: 3 * MiB }));
      expect(range.equals(bytes.subarray(MiB, 4 * MiB))).toBe(true);
    } finally {
      proxy.close();
    }
  });

  it('answers StorageUnavailableError, retryable, when the server cannot be reached', async () => {
    const store = newStore({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      maxAttempts: 2,
      retryPolicy: { attempts: 2, baseDelayMs: 10 },
    });
    const key = `${prefix}unreachable`;
    const started = Date.now();
    // Each call's outcome is caught at once (they run concurrently, and an unobserved rejection fails the test).
    const outcome = (call: () => Promise<unknown>) =>
      call().then(
        () => 'resolved',
        (error: unknown) => error,
      );
    const calls: Array<[string, Promise<unknown>]> = [
      ['put', outcome(() => store.put(key, Readable.from([randomBytes(1000)])))],
      ['put multipart', outcome(() => store.put(key, Readable.from([randomBytes(6 * MiB)])))],
      ['get', outcome(() => store.get(key))],
      ['get range', outcome(() => store.get(key, { offset: 0, length: 10 }))],
      ['head', outcome(() => store.head(key))],
      ['delete', outcome(() => store.delete(key))],
      ['list', outcome(async () => store.list(prefix)[Symbol.asyncIterator]().next())],
    ];
    for (const [name, call] of calls) {
      const error = await call;
      expect([name, error instanceof StorageUnavailableError]).toEqual([name, true]);
      expect((error as StorageUnavailableError).retryable).toBe(true);
    }
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('answers a StorageError, not retryable, when the bucket does not exist', async () => {
    const store = newStore({ bucket: `missing-${randomUUID().slice(0, 8)}` });
    const error = await store.get('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).not.toBeInstanceOf(BlobNotFoundError);
    expect((error as StorageError).retryable).toBe(false);
  });

  it('answers a StorageError, not retryable, when the credentials are wrong', async () => {
    const store = newStore({ secretAccessKey: 'not-the-secret' });
    const error = await store.head('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).retryable).toBe(false);
  });
});
