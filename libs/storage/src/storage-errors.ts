// Typed errors of the BlobStore port. Adapters wrap fs and S3 errors into these at their boundary, so
// callers (and @pacs/dicomweb's exception filter: retryable → 503 with Retry-After) never see an SDK
// or errno error.
import { type BlobKey } from './blob-key';
import { type ByteRange } from './blob-store';

export class StorageError extends Error {
  /** True when the same call may succeed later: the store is unreachable or overloaded, not wrong. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BlobNotFoundError extends StorageError {
  constructor(
    readonly key: BlobKey,
    options?: ErrorOptions,
  ) {
    super(`no blob ${key}`, options);
  }
}

/** Connection refused or reset, timeouts, 5xx, throttling: try again later. */
export class StorageUnavailableError extends StorageError {
  override readonly retryable = true;
  /** A hint for a Retry-After header. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 1;
  }
}

export class InvalidBlobKeyError extends StorageError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`);
  }
}

export class BlobChecksumMismatchError extends StorageError {
  constructor(
    readonly key: BlobKey,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(`blob ${key}: SHA-256 ${actualSha256} differs from the expected ${expectedSha256}; nothing was stored`);
  }
}

/** The range does not lie within the blob (or is not a range: negative or fractional numbers). */
export class BlobRangeError extends StorageError {
  constructor(
    readonly key: BlobKey,
    readonly range: ByteRange,
    readonly size: number | undefined,
  ) {
    super(
      `blob ${key}: range of ${range.length} bytes at ${range.offset} is outside the blob` +
        (size === undefined ? '' : ` of ${size} bytes`),
    );
  }
}
