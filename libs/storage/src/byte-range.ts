import { type BlobKey } from './blob-key';
import { type ByteRange } from './blob-store';
import { BlobRangeError } from './storage-errors';

/** Throws BlobRangeError unless offset and length are non-negative safe integers. */
export function assertByteRangeShape(key: BlobKey, range: ByteRange): void {
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new BlobRangeError(key, range, undefined);
  }
}

/**
 * The half-open byte interval [start, end) to read from a blob of `size` bytes: all of it without a
 * range; the range when it lies within the blob (a zero-length range at `size` does); else BlobRangeError.
 * Unlike HTTP (RFC 9110 §14.1.2), a range reaching past the end is not shortened: a frame read from the
 * frame index must be whole or fail.
 */
export function resolveByteRange(
  key: BlobKey,
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  assertByteRangeShape(key, range);
  if (range.offset + range.length > size) throw new BlobRangeError(key, range, size);
  return { start: range.offset, end: range.offset + range.length };
}
