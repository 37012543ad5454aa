import { Part10Error } from '@pacs/dicom';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/** Preamble (128) + 'DICM' (4) + the (0002,0000) element in Explicit VR LE: tag 4, VR 2, length 2, value 4. */
const groupLengthEnd = 144;

/**
 * The inflated form of a Deflated Explicit VR Little Endian file (PS3.5 §A.5): the File Meta Information as
 * stored, then the data set inflated (RFC 1951, no zlib header). This is the byte space the index's frame and
 * bulk data offsets of a deflated instance count in (see @pacs/dicom Part10Scan.deflated), so ranges can be
 * read from it directly. Streams: memory holds one chunk on each side of zlib.
 */
export function inflatePart10(source: AsyncIterable<Buffer | Uint8Array>): Readable {
  async function* inflated(): AsyncGenerator<Buffer> {
    const iterator = source[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    while (head.length < groupLengthEnd) {
      const next = await iterator.next();
      if (next.done) throw new Part10Error('Truncated', 'the file ends inside its File Meta Information');
      head = Buffer.concat([head, Buffer.from(next.value)]);
    }
    if (head.toString('latin1', 128, 132) !== 'DICM' || head.readUInt32LE(132) !== 0x00000002) {
      throw new Part10Error('NotDicom', 'the file does not start with a File Meta Information Group Length');
    }
    const metaEnd = groupLengthEnd + head.readUInt32LE(140);
    while (head.length < metaEnd) {
      const next = await iterator.next();
      if (next.done) throw new Part10Error('Truncated', 'the file ends inside its File Meta Information');
      head = Buffer.concat([head, Buffer.from(next.value)]);
    }
    yield head.subarray(0, metaEnd);

    const inflater = createInflateRaw({ chunkSize: 256 * 1024 });
    const feed = (async () => {
      const write = (chunk: Buffer) =>
        new Promise<void>((resolve, reject) => {
          if (inflater.write(chunk)) resolve();
          else {
            const onDrain = () => {
              inflater.off('error', onError);
              resolve();
            };
            const onError = (e: Error) => {
              inflater.off('drain', onDrain);
              reject(e);
            };
            inflater.once('drain', onDrain);
            inflater.once('error', onError);
          }
        });
      try {
        if (head.length > metaEnd) await write(head.subarray(metaEnd));
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          if (inflater.destroyed || inflater.writableEnded) break; // the deflate stream ended (BFINAL)
          await write(Buffer.from(next.value));
        }
        if (!inflater.writableEnded) inflater.end();
      } catch (error) {
        inflater.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    })();
    try {
      for await (const chunk of inflater) yield chunk as Buffer;
    } catch (cause) {
      throw new Part10Error('Malformed', 'the deflated data set cannot be inflated', { cause });
    } finally {
      if (!inflater.destroyed) inflater.destroy();
      await feed;
      await iterator.return?.();
    }
  }
  return Readable.from(inflated(), { objectMode: false });
}
