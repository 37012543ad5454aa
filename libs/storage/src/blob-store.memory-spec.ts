// Memory: a 2 GiB blob through put and get of both stores must not grow the process's RSS by more than
// 100 MB (the promise of streaming: memory flat with object size).
//
// Each store first moves a 256 MiB blob through put and get, unmeasured: V8 grows its heap and lets up to
// 64 MB of dead Buffers wait for a collection, and malloc keeps freed memory, all once per process and
// whatever the blob's size. The 2 GiB run is measured from there, so what it sees is what grows with
// the blob. Catches: a store that buffers a whole body or a whole download (Buffer.concat of chunks),
// unbounded multipart queues, a read that ignores backpressure. Does not catch: slow leaks across many
// small blobs (bench/), nor memory of the S3 server, which runs in its own process.
//
// Skipped unless MEMORY_TESTS=1; it needs the S3 server of the integration setup:
//   MEMORY_TESTS=1 npx jest -c jest.integration.config.js --testMatch '**/*.memory-spec.ts' libs/storage
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { S3BlobStore } from './s3-blob-store';

const MiB = 1024 * 1024;
const blobBytes = 2048 * MiB;
const warmUpBytes = 256 * MiB;
const maxGrowthBytes = 100 * 1000 * 1000;

const describeMemory = process.env.MEMORY_TESTS === '1' ? describe : describe.skip;

/** `total` bytes in 64 KiB chunks, as a socket gives them, each different (random, with its offset written in). */
function generatedBody(total: number, hash: ReturnType<typeof createHash>): Readable {
  const chunkBytes = 64 * 1024;
  const block = randomBytes(chunkBytes);
  let produced = 0;
  return new Readable({
    highWaterMark: chunkBytes,
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, total - produced));
      block.copy(chunk, 0, 0, chunk.length);
      chunk.writeDoubleLE(produced, 0);
      produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

/** Runs `work` while sampling RSS every 20 ms; returns the growth over the RSS before it started. */
async function rssGrowth(label: string, bytes: number, work: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = Date.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `${label}: ${(bytes / MiB).toFixed(0)} MiB at ${(bytes / MiB / seconds).toFixed(0)} MiB/s, RSS ${(before / 1e6).toFixed(0)} MB → peak ` +
      `${(peak / 1e6).toFixed(0)} MB (growth ${((peak - before) / 1e6).toFixed(1)} MB)\n`,
  );
  return peak - before;
}

describeMemory('BlobStore memory with a 2 GiB blob', () => {
  jest.setTimeout(15 * 60_000);
  let root: string;
  const stores: Array<[string, () => BlobStore]> = [
    ['FsBlobStore', () => new FsBlobStore(root)],
    [
      'S3BlobStore',
      () =>
        new S3BlobStore({
          endpoint: process.env.PACS_S3_ENDPOINT,
          region: process.env.PACS_S3_REGION ?? 'us-east-1',
          bucket: process.env.PACS_S3_BUCKET ?? 'pacs',
          accessKeyId: process.env.PACS_S3_ACCESS_KEY_ID,
          secretAccessKey: process.env.PACS_S3_SECRET_ACCESS_KEY,
          forcePathStyle: true,
        }),
    ],
  ];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pacs-memory-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Puts and gets `bytes` through `store`, checking every byte by SHA-256; returns the RSS growth of each. */
  async function roundTrip(name: string, store: BlobStore, key: string, bytes: number): Promise<[number, number]> {
    const written = createHash('sha256');
    let stored = { size: 0, sha256: '' };
    const putGrowth = await rssGrowth(`${name} put`, bytes, async () => {
      stored = await store.put(key, generatedBody(bytes, written));
    });
    expect(stored.size).toBe(bytes);
    expect(stored.sha256).toBe(written.digest('hex'));

    const read = createHash('sha256');
    let readBytes = 0;
    const getGrowth = await rssGrowth(`${name} get`, bytes, async () => {
      for await (const chunk of await store.get(key)) {
        read.update(chunk as Buffer);
        readBytes += (chunk as Buffer).length;
      }
    });
    expect(readBytes).toBe(bytes);
    expect(read.digest('hex')).toBe(stored.sha256);
    return [putGrowth, getGrowth];
  }

  it.each(stores)('%s stores and reads 2 GiB with bounded memory', async (name, create) => {
    const store = create();
    const key = `memory-spec/${Date.now()}/blob`;
    try {
      await roundTrip(`${name} (warm-up)`, store, key, warmUpBytes);
      const [putGrowth, getGrowth] = await roundTrip(name, store, key, blobBytes);
      expect(putGrowth).toBeLessThan(maxGrowthBytes);
      expect(getGrowth).toBeLessThan(maxGrowthBytes);
    } finally {
      await store.delete(key);
      if (store instanceof S3BlobStore) store.destroy();
    }
  });
});
