import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';

/**
 * Passes `source` through while a copy streams into `store` (a BlobStore put), so a result computed for one
 * response is kept for the next ones without being held in memory. The copy is stored only when the whole
 * source was read: if the reader stops early or the source fails, the copy is aborted and the store keeps
 * nothing (BlobStore.put leaves nothing behind when its body errors). A failing store does not fail the
 * response: the copy is dropped and `onStoreError` told.
 */
export function teeToBlob(
  source: Readable,
  store: (copy: Readable) => Promise<unknown>,
  onStoreError: (error: unknown) => void,
): Readable {
  const copy = new PassThrough({ highWaterMark: 1024 * 1024 });
  // The store reports its own failure through its promise; this keeps a destroyed copy from throwing.
  copy.on('error', () => undefined);
  let storing = true;
  const stored = store(copy).catch((error: unknown) => {
    if (storing) onStoreError(error);
    storing = false;
  });
  async function* passThrough(): AsyncGenerator<Buffer> {
    let complete = false;
    try {
      for await (const chunk of source) {
        if (storing && !copy.write(chunk)) {
          await Promise.race([once(copy, 'drain'), stored]);
        }
        yield chunk as Buffer;
      }
      complete = true;
    } finally {
      if (complete && storing) copy.end();
      else if (storing) {
        storing = false;
        copy.destroy(new Error('the response stopped before its end: the copy is not stored'));
      } else copy.destroy();
    }
  }
  return Readable.from(passThrough(), { objectMode: false });
}
