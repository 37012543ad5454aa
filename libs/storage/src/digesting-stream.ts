import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { type BlobKey } from './blob-key';
import { BlobChecksumMismatchError } from './storage-errors';

/**
 * Passes bytes through unchanged while counting them and hashing them with SHA-256. With an expected
 * digest it fails at the end of the input, before it ends its own output, so a consumer (a file being
 * written, an upload) sees an error instead of an end and never commits a blob with the wrong bytes.
 */
export class DigestingStream extends Transform {
  /** Not `size` or `length`: @aws-sdk/lib-storage takes a body's `size` for its total length. */
  byteCount = 0;
  /** Lower-case hex, set when the input has ended. */
  sha256: string | undefined;
  readonly #hash: Hash = createHash('sha256');
  readonly #key: BlobKey;
  readonly #expectedSha256: string | undefined;

  constructor(key: BlobKey, expectedSha256?: string) {
    super();
    this.#key = key;
    this.#expectedSha256 = expectedSha256?.toLowerCase();
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk instanceof Uint8Array ? chunk : undefined;
    if (bytes === undefined) {
      callback(new TypeError(`blob ${this.#key}: the body gave a chunk that is not bytes`));
      return;
    }
    this.#hash.update(bytes);
    this.byteCount += bytes.byteLength;
    callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    this.sha256 = this.#hash.digest('hex');
    if (this.#expectedSha256 !== undefined && this.#expectedSha256 !== this.sha256) {
      callback(new BlobChecksumMismatchError(this.#key, this.#expectedSha256, this.sha256));
      return;
    }
    callback();
  }
}

const sha256Hex = /^[0-9a-fA-F]{64}$/;

/** Throws a TypeError for an expectedSha256 that is not 64 hex digits (a caller's bug, not bad data). */
export function assertSha256Hex(value: string | undefined): void {
  if (value !== undefined && !sha256Hex.test(value)) {
    throw new TypeError(`expectedSha256 must be 64 hex digits, not ${JSON.stringify(value)}`);
  }
}
