import type { Readable } from 'node:stream';

/**
 * Destroys `opened` (a part opened before its multipart body started: a file handle, an S3 response) when
 * `outer` closes before reading it to its end — the client went away, or a HEAD request dropped the body — so
 * no source is left open until garbage collection.
 */
export function releaseWith(outer: Readable, opened: unknown): void {
  if (typeof opened !== 'object' || opened === null || !('destroy' in opened)) return;
  const stream = opened as Readable;
  outer.once('close', () => {
    if (!stream.readableEnded && !stream.destroyed) stream.destroy();
  });
}
