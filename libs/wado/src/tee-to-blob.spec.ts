import { FsBlobStore } from '@pacs/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { teeToBlob } from './tee-to-blob';

describe('teeToBlob', () => {
  let dir: string;
  let blobs: FsBlobStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wado-tee-'));
    blobs = new FsBlobStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const chunks = () => Array.from({ length: 40 }, (_, i) => Buffer.alloc(100_000, i));
  const settle = () => new Promise((r) => setTimeout(r, 100));

  it('passes the bytes through and stores the same bytes', async () => {
    const errors: unknown[] = [];
    let done!: Promise<unknown>;
    const out = await buffer(
      teeToBlob(
        Readable.from(chunks()),
        (copy) => (done = blobs.put('k/copy.dcm', copy)),
        (e) => errors.push(e),
      ),
    );
    await done;
    expect(out.equals(Buffer.concat(chunks()))).toBe(true);
    expect((await buffer(await blobs.get('k/copy.dcm'))).equals(out)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('stores nothing when the reader stops early', async () => {
    const tee = teeToBlob(
      Readable.from(chunks()),
      (copy) => blobs.put('k/partial.dcm', copy),
      () => undefined,
    );
    for await (const _ of tee) break;
    await settle();
    expect(await blobs.head('k/partial.dcm')).toBeUndefined();
  });

  it('keeps serving when the store fails', async () => {
    const errors: unknown[] = [];
    const out = await buffer(
      teeToBlob(
        Readable.from(chunks()),
        async (copy) => {
          copy.resume();
          throw new Error('store down');
        },
        (e) => errors.push(e),
      ),
    );
    expect(out.length).toBe(4_000_000);
    expect(errors).toHaveLength(1);
  });
});
