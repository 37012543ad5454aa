import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describeBlobStoreContract } from './blob-store.contract';
import { FsBlobStore } from './fs-blob-store';
import { BlobNotFoundError, InvalidBlobKeyError } from './storage-errors';

const roots: string[] = [];
async function newRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'pacs-fs-blob-store-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

describeBlobStoreContract('FsBlobStore', async () => new FsBlobStore(await newRoot()));

describe('FsBlobStore', () => {
  it('keeps a blob as a file at the path of its key', async () => {
    const root = await newRoot();
    const bytes = randomBytes(100);
    await new FsBlobStore(root).put('studies/1.2.3/series/4.5/6.7.dcm', Readable.from([bytes]));
    expect((await stat(path.join(root, 'studies/1.2.3/series/4.5/6.7.dcm'))).size).toBe(100);
  });

  it('leaves no staged file behind after a failed put', async () => {
    const root = await newRoot();
    const store = new FsBlobStore(root);
    const body = new Readable({
      read() {
        this.destroy(new Error('cut'));
      },
    });
    body.push(randomBytes(1000));
    await expect(store.put('a/b', body)).rejects.toThrow('cut');
    expect(await readdir(path.join(root, '.staging'))).toEqual([]);
    expect(await readdir(root)).toEqual(['.staging']);
  });

  it('removes the folders a delete leaves empty, and only those', async () => {
    const root = await newRoot();
    const store = new FsBlobStore(root);
    await store.put('s/1/a', Readable.from([Buffer.from('a')]));
    await store.put('s/2/b', Readable.from([Buffer.from('b')]));
    await store.delete('s/1/a');
    expect((await readdir(root)).sort()).toEqual(['.staging', 's']);
    expect(await readdir(path.join(root, 's'))).toEqual(['2']);
  });

  it('refuses a key that is already a folder of other keys, since a file cannot be both', async () => {
    const store = new FsBlobStore(await newRoot());
    await store.put('x/y', Readable.from([Buffer.from('y')]));
    await expect(store.put('x', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.put('x/y/z', Readable.from([Buffer.from('z')]))).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.get('x/y/z')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('lists nothing, and finds nothing, under a root that does not exist yet', async () => {
    const store = new FsBlobStore(path.join(await newRoot(), 'not-yet'));
    const keys = [];
    for await (const item of store.list('')) keys.push(item);
    expect(keys).toEqual([]);
    expect(await store.head('a')).toBeUndefined();
  });
});
