import { type BlobKey } from './blob-key';
import { BlobNotFoundError, StorageError, StorageUnavailableError } from './storage-errors';

/** Error names of S3 (and of the SDK) that say "try again later". */
const transientNames = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TimeoutError',
]);

/** Node and undici error codes of a connection that failed, broke or stalled. */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const transientCodeInMessage = new RegExp(`\\b(${[...transientCodes].join('|')})\\b`);

const notFoundNames = new Set(['NoSuchKey', 'NotFound']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  errors?: unknown;
}

function isTransient(error: SdkErrorShape): boolean {
  const status = error.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  if (typeof error.name === 'string' && transientNames.has(error.name)) return true;
  if (typeof error.code === 'string' && transientCodes.has(error.code)) return true;
  if (error.$retryable !== undefined && error.$retryable !== null) return true;
  // Node's "socket hang up" and an IncomingMessage cut mid-body ("aborted") carry ECONNRESET, but
  // not always as code; connecting to a name with several addresses fails with an AggregateError.
  if (error.message === 'socket hang up' || error.message === 'aborted') return true;
  // The SDK's retry middleware replaces an error from another realm (a Node socket error seen inside
  // a jest sandbox, or a vm context) by "AWS SDK error wrapper for Error: connect ECONNREFUSED …",
  // keeping only the message.
  if (typeof error.message === 'string' && transientCodeInMessage.test(error.message)) return true;
  if (Array.isArray(error.errors)) return error.errors.some((inner) => isTransient(inner as SdkErrorShape));
  return false;
}

/**
 * Wraps an error of @aws-sdk/client-s3 (or of the socket under it) into the storage errors:
 * NoSuchKey / 404 → BlobNotFoundError; connection refused, reset or timed out, 5xx, 429 and
 * throttling → StorageUnavailableError (retryable); anything else → StorageError. Storage errors and
 * AbortErrors pass through unchanged.
 */
export function wrapS3Error(error: unknown, key: BlobKey | undefined, bucket: string): Error {
  if (error instanceof StorageError) return error;
  const where = key === undefined ? `S3 bucket ${bucket}` : `S3 ${bucket}/${key}`;
  // Duck-typed, not `instanceof Error`: errors can come from another realm (see isTransient).
  if (typeof error !== 'object' || error === null) return new StorageError(`${where}: ${String(error)}`);
  const shape = error as SdkErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  if (name === 'AbortError') return error as Error;
  const status = shape.$metadata?.httpStatusCode;
  if (key !== undefined && (notFoundNames.has(name) || (status === 404 && name !== 'NoSuchBucket'))) {
    return new BlobNotFoundError(key, { cause: error });
  }
  const detail = typeof shape.message === 'string' && shape.message !== '' ? shape.message : name;
  if (isTransient(shape)) {
    // SlowDown/503: the server asks us to back off longer than a refused connection needs.
    const retryAfterSeconds = status === 503 || name === 'SlowDown' ? 5 : 1;
    return new StorageUnavailableError(`${where} unavailable: ${detail}`, { cause: error, retryAfterSeconds });
  }
  return new StorageError(`${where}: ${name}: ${detail}`, { cause: error });
}
