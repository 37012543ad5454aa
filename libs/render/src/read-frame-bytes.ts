// Reading one frame's bytes (or another value's, e.g. LUT data) of a stored instance by the byte ranges the
// index keeps. Native and encapsulated instances: one ranged GET per range, so one frame of a multi-GB
// instance costs what the frame weighs. Deflated Explicit VR Little Endian (PS3.5 §A.5): the ranges count bytes
// of the inflated data set (see Part10Scan.deflated), which cannot be addressed in the stored bytes, so the blob
// is read from its start and inflated as a stream; only the bytes of the ranges are kept, and reading stops as
// soon as they are complete.
import type { ByteRange } from '@pacs/dicom';
import { ImagingError } from '@pacs/imaging';
import type { BlobStore } from '@pacs/storage';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';

/** The bytes of `ranges` of blob `key`, concatenated. */
export async function readFrameBytes(
  blobs: BlobStore,
  key: string,
  ranges: readonly ByteRange[],
  options: { deflated?: boolean } = {},
): Promise<Buffer> {
  if (options.deflated) {
    const parts = await readInflatedRanges(await blobs.get(key), ranges);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
  const out = Buffer.allocUnsafe(ranges.reduce((sum, r) => sum + r.length, 0));
  let at = 0;
  for (const range of ranges) {
    const start = at;
    for await (const chunk of await blobs.get(key, range)) {
      const bytes = chunk as Buffer;
      if (at + bytes.length > start + range.length) throw new Error('The blob store returned more than the range');
      bytes.copy(out, at);
      at += bytes.length;
    }
    if (at !== start + range.length) {
      throw new ImagingError('CorruptPixelData', 'The stored object ends before the frame it should hold');
    }
  }
  return out;
}

/** Explicit VR elements whose length has 4 bytes after 2 reserved ones (PS3.5 §7.1.2, Table 7.1-1). */
const longLengthVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Where the File Meta Information (group 0002, always Explicit VR Little Endian, PS3.10 §7.1) of a Part 10 file
 * ends, i.e. where its data set starts; undefined when `bytes` is too short to tell.
 */
export function fileMetaEnd(bytes: Uint8Array): number | undefined {
  if (bytes.length < 132) return undefined;
  if (Buffer.from(bytes.buffer, bytes.byteOffset + 128, 4).toString('latin1') !== 'DICM') {
    throw new ImagingError('CorruptPixelData', 'The stored object is not a DICOM Part 10 file (no DICM prefix)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 132;
  for (;;) {
    if (at + 8 > bytes.length) return undefined;
    if (view.getUint16(at, true) !== 0x0002) return at;
    const vr = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!);
    if (longLengthVrs.has(vr)) {
      if (at + 12 > bytes.length) return undefined;
      const length = view.getUint32(at + 8, true);
      if (length === 0xffffffff) {
        throw new ImagingError('CorruptPixelData', 'The File Meta Information has an element of undefined length');
      }
      at += 12 + length;
    } else {
      at += 8 + view.getUint16(at + 6, true);
    }
  }
}

/** The File Meta Information of a valid file is far below this; more means we are not reading one. */
const maxFileMetaBytes = 1 << 20;

class RangesComplete extends Error {}

/**
 * The bytes of `ranges` of a Deflated Explicit VR Little Endian Part 10 file, offsets counted in its inflated form
 * (the File Meta Information as stored, then the inflated data set). Reads `source` once, from its start, and
 * destroys it when done.
 */
export async function readInflatedRanges(source: Readable, ranges: readonly ByteRange[]): Promise<Buffer[]> {
  const out = ranges.map((r) => Buffer.alloc(r.length));
  let missing = ranges.reduce((sum, r) => sum + r.length, 0);
  /** Copies the bytes of `chunk`, which starts at `position` of the inflated file, into the ranges it overlaps. */
  const take = (chunk: Buffer, position: number): void => {
    ranges.forEach((range, i) => {
      const from = Math.max(range.offset, position);
      const to = Math.min(range.offset + range.length, position + chunk.length);
      if (to > from) {
        chunk.copy(out[i]!, from - range.offset, from - position, to - position);
        missing -= to - from;
      }
    });
  };
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    let head = Buffer.alloc(0);
    let metaEnd: number | undefined;
    while (metaEnd === undefined) {
      const next = await iterator.next();
      if (next.done)
        throw new ImagingError('CorruptPixelData', 'The stored object ends inside its File Meta Information');
      head = Buffer.concat([head, next.value]);
      metaEnd = fileMetaEnd(head);
      if (metaEnd === undefined && head.length > maxFileMetaBytes) {
        throw new ImagingError('CorruptPixelData', 'The File Meta Information of the stored object does not end');
      }
    }
    take(head.subarray(0, metaEnd), 0);
    if (missing === 0) return out;
    const rest = head.subarray(metaEnd);
    async function* deflated(): AsyncGenerator<Buffer> {
      if (rest.length > 0) yield rest;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    }
    let position = metaEnd;
    const done = new RangesComplete();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        take(chunk, position);
        position += chunk.length;
        // Stop reading and inflating once every range is complete.
        callback(missing === 0 ? done : undefined);
      },
    });
    try {
      await pipeline(deflated(), createInflateRaw(), sink);
    } catch (error) {
      if (error === done) {
        // every range is complete
      } else if (String((error as { code?: unknown }).code ?? '').startsWith('Z_')) {
        throw new ImagingError('CorruptPixelData', 'The deflated data set of the stored object cannot be inflated', {
          cause: error,
        });
      } else {
        throw error;
      }
    }
    if (missing > 0) throw new ImagingError('CorruptPixelData', 'The inflated data set ends before the frame');
    return out;
  } finally {
    await iterator.return?.();
    source.destroy();
  }
}
