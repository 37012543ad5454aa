import { FsBlobStore } from '@pacs/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { blobByteReader, coalesceRanges, MissingBlobError } from './blob-byte-reader';

describe('blobByteReader', () => {
  let dir: string;
  let blobs: FsBlobStore;
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wado-reader-'));
    blobs = new FsBlobStore(dir);
    await blobs.put('a/b.dcm', Readable.from([bytes]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // fragments with 8-byte Item headers between them, as PS3.5 §A.4 lays them out, and a far one
  const ranges = [
    { offset: 100, length: 1000 },
    { offset: 1108, length: 70_000 },
    { offset: 71_116, length: 5 },
    { offset: 250_000, length: 49_000 },
  ];
  const expected = Buffer.concat(ranges.map((r) => bytes.subarray(r.offset, r.offset + r.length)));

  it('reads ranges into one buffer', async () => {
    const got = await blobByteReader(blobs, 'a/b.dcm').read(ranges);
    expect(got.equals(expected)).toBe(true);
  });

  it('streams the same bytes', async () => {
    const got = await buffer(blobByteReader(blobs, 'a/b.dcm').stream(ranges));
    expect(got.equals(expected)).toBe(true);
  });

  it('opens the same bytes before they are read', async () => {
    const reader = blobByteReader(blobs, 'a/b.dcm');
    expect((await buffer(await reader.open(ranges))).equals(expected)).toBe(true);
    expect((await buffer(await reader.open([ranges[1]!]))).equals(expected.subarray(1000, 71_000))).toBe(true);
    await expect(blobByteReader(blobs, 'a/gone.dcm').open(ranges)).rejects.toBeInstanceOf(MissingBlobError);
  });

  it('reads adjacent fragments with one read of their span', () => {
    const spans = coalesceRanges(ranges);
    expect(spans.map((s) => [s.offset, s.length])).toEqual([
      [100, 71_021],
      [250_000, 49_000],
    ]);
  });

  it('says when the object is missing', async () => {
    await expect(blobByteReader(blobs, 'a/gone.dcm').read([{ offset: 0, length: 1 }])).rejects.toBeInstanceOf(
      MissingBlobError,
    );
  });
});
