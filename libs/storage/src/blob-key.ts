import { InvalidBlobKeyError } from './storage-errors';

/**
 * Where a blob lives in a store: '/'-separated segments, e.g. `studies/<StudyInstanceUID>/…`.
 * The same key is an S3 object key and a relative path under FsBlobStore's root, so it keeps to what
 * both can hold: no leading '/', no empty segment, no segment starting with '.' (so no '.' or '..',
 * and the filesystem store's own files, in '.staging', are never a key), no backslash or control
 * characters, at most 255 bytes per segment and 1024 bytes in all (UTF-8).
 */
export type BlobKey = string;

/** S3's limit for an object key, in UTF-8 bytes. */
const maxKeyBytes = 1024;
/** NAME_MAX of Linux filesystems: one segment is one file or folder name in FsBlobStore. */
const maxSegmentBytes = 255;
// C0 controls and DEL: unprintable in logs and URLs; backslash: a path separator elsewhere.
const forbiddenCharacter = /[\u0000-\u001f\u007f\\]/;

/** Why `segment` cannot be one segment of a key, or undefined when it can. */
export function blobKeySegmentProblem(segment: string): string | undefined {
  if (segment === '') return 'has an empty segment';
  if (segment.startsWith('.')) return `has a segment starting with '.' (${JSON.stringify(segment)})`;
  if (forbiddenCharacter.test(segment)) return 'contains a control character or a backslash';
  if (Buffer.byteLength(segment) > maxSegmentBytes) return `has a segment longer than ${maxSegmentBytes} bytes`;
  return undefined;
}

export function assertBlobKey(key: string): asserts key is BlobKey {
  if (typeof key !== 'string' || key === '') throw new InvalidBlobKeyError(String(key), 'is empty');
  if (Buffer.byteLength(key) > maxKeyBytes) throw new InvalidBlobKeyError(key, `is longer than ${maxKeyBytes} bytes`);
  for (const segment of key.split('/')) {
    const problem = blobKeySegmentProblem(segment);
    if (problem !== undefined) throw new InvalidBlobKeyError(key, problem);
  }
}

/**
 * A prefix to list by: '' (everything), or the start of a key. Every complete segment must be valid;
 * the last one may be empty ('studies/') or the start of a segment ('studies/1.2.').
 */
export function assertBlobPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidBlobKeyError(String(prefix), 'is not a string');
  if (prefix === '') return;
  if (Buffer.byteLength(prefix) > maxKeyBytes) {
    throw new InvalidBlobKeyError(prefix, `is longer than ${maxKeyBytes} bytes`);
  }
  const segments = prefix.split('/');
  const last = segments.pop() as string;
  for (const segment of segments) {
    const problem = blobKeySegmentProblem(segment);
    if (problem !== undefined) throw new InvalidBlobKeyError(prefix, problem);
  }
  if (last !== '') {
    const problem = blobKeySegmentProblem(last);
    if (problem !== undefined) throw new InvalidBlobKeyError(prefix, problem);
  }
}
