import type { ByteRange } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import { BlobNotFoundError, StorageUnavailableError, type BlobStore } from '@pacs/storage';
import { Readable } from 'node:stream';

/** Reads byte ranges of one stored object: a frame's fragments, a bulk data value, the pixel data. */
export interface ByteReader {
  /** The bytes of `ranges`, concatenated, in one buffer (frames and small values). */
  read(ranges: readonly ByteRange[]): Promise<Buffer>;
  /** The same as a stream, a chunk at a time (values of any size), opened when first read. */
  stream(ranges: readonly ByteRange[]): Readable;
  /**
   * The same as a stream whose first range is already open, so a missing object fails here and not in the
   * middle of a response; the bytes are not copied on the way.
   */
  open(ranges: readonly ByteRange[]): Promise<Readable>;
}

/** The stored object of an instance the index lists is gone (deleted since the lookup, or lost). */
export class MissingBlobError extends DicomwebError {
  constructor(key: string, cause: unknown) {
    super('NotFound', 'The stored object of this instance is missing', { cause });
    this.key = key;
  }
  readonly key: string;
}

/**
 * Ranges read together: fragments of a frame lie one after the other, separated by 8-byte Item headers
 * (PS3.5 §A.4), so one read of the span covering them replaces a read per fragment (one S3 GET, not many).
 * Gaps up to `maxGap` bytes are read and dropped.
 */
export interface Span {
  offset: number;
  length: number;
  /** Where the wanted bytes are inside the span. */
  pieces: { start: number; length: number }[];
}

export function coalesceRanges(ranges: readonly ByteRange[], maxGap = 4096): Span[] {
  const spans: Span[] = [];
  for (const range of ranges) {
    const last = spans[spans.length - 1];
    const lastEnd = last ? last.offset + last.length : 0;
    if (last && range.offset >= lastEnd && range.offset - lastEnd <= maxGap) {
      last.pieces.push({ start: range.offset - last.offset, length: range.length });
      last.length = range.offset + range.length - last.offset;
    } else {
      spans.push({ offset: range.offset, length: range.length, pieces: [{ start: 0, length: range.length }] });
    }
  }
  return spans;
}

async function open(blobs: BlobStore, key: string, range: ByteRange): Promise<Readable> {
  try {
    return await blobs.get(key, range);
  } catch (error) {
    throw storageError(key, error);
  }
}

export function storageError(key: string, error: unknown): unknown {
  if (error instanceof StorageUnavailableError) {
    return new DicomwebError('Unavailable', 'Object storage is unavailable', { cause: error, retryAfterSeconds: 5 });
  }
  if (error instanceof BlobNotFoundError) return new MissingBlobError(key, error);
  return error;
}

/** Yields the pieces of a span from the stream of the span's bytes. */
async function* piecesOf(source: Readable, span: Span): AsyncGenerator<Buffer> {
  let position = 0; // of the first byte of the chunk within the span
  let p = 0;
  for await (const data of source) {
    const chunk = data as Buffer;
    const chunkEnd = position + chunk.length;
    while (p < span.pieces.length) {
      const piece = span.pieces[p]!;
      const from = Math.max(piece.start, position);
      const to = Math.min(piece.start + piece.length, chunkEnd);
      if (to > from) yield chunk.subarray(from - position, to - position);
      if (piece.start + piece.length <= chunkEnd) p++;
      else break;
    }
    position = chunkEnd;
  }
}

/** Copies the wanted pieces of a span's bytes into `out` at `at`, from the stream's events (no per-chunk promises). */
function collect(source: Readable, span: Span, out: Buffer, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let position = 0; // of the first byte of the chunk within the span
    let p = 0;
    let written = at;
    source.on('data', (chunk: Buffer) => {
      const chunkEnd = position + chunk.length;
      while (p < span.pieces.length) {
        const piece = span.pieces[p]!;
        const from = Math.max(piece.start, position);
        const to = Math.min(piece.start + piece.length, chunkEnd);
        if (to > from) written += chunk.copy(out, written, from - position, to - position);
        if (piece.start + piece.length <= chunkEnd) p++;
        else break;
      }
      position = chunkEnd;
    });
    source.once('end', () => resolve(written));
    source.once('error', reject);
  });
}

/** A ByteReader over one blob of a BlobStore. */
export function blobByteReader(blobs: BlobStore, key: string): ByteReader {
  return {
    async read(ranges) {
      const total = ranges.reduce((n, r) => n + r.length, 0);
      const out = Buffer.allocUnsafe(total);
      let at = 0;
      for (const span of coalesceRanges(ranges)) at = await collect(await open(blobs, key, span), span, out, at);
      if (at !== total) throw new Error(`read ${at} of ${total} bytes of ${key}`);
      return out;
    },
    stream(ranges) {
      async function* chunks(): AsyncGenerator<Buffer> {
        for (const span of coalesceRanges(ranges)) yield* piecesOf(await open(blobs, key, span), span);
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    async open(ranges) {
      const [first, ...rest] = coalesceRanges(ranges);
      if (!first) return Readable.from([]);
      const opened = await open(blobs, key, first);
      // One contiguous range (a native frame, a bulk value): the store's own stream as it is.
      if (rest.length === 0 && first.pieces.length === 1) return opened;
      async function* chunks(): AsyncGenerator<Buffer> {
        yield* piecesOf(opened, first!);
        for (const span of rest) yield* piecesOf(await open(blobs, key, span), span);
      }
      return Readable.from(chunks(), { objectMode: false });
    },
  };
}
