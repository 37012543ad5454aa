import { BlobNotFoundError, StorageError, StorageUnavailableError } from './storage-errors';
import { wrapS3Error } from './wrap-s3-error';

/** The shape @aws-sdk/client-s3 gives service errors: name, message, $metadata.httpStatusCode. */
const serviceError = (name: string, httpStatusCode: number, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode }, ...extra });

const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('wrapS3Error', () => {
  it.each([
    ['NoSuchKey', 404],
    ['NotFound', 404],
    ['UnknownError', 404],
  ])('turns %s (%i) into BlobNotFoundError', (name, status) => {
    const wrapped = wrapS3Error(serviceError(name, status), 'a/b', 'pacs');
    expect(wrapped).toBeInstanceOf(BlobNotFoundError);
    expect(wrapped).toMatchObject({ key: 'a/b', retryable: false });
  });

  it.each([
    ['connection refused', errno('ECONNREFUSED')],
    ['connection reset', errno('ECONNRESET')],
    ['a timed-out socket', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
    ['a 500', serviceError('InternalError', 500)],
    ['a 503 SlowDown', serviceError('SlowDown', 503)],
    ['a 429', serviceError('TooManyRequests', 429)],
    ['a throttling error', serviceError('Whatever', 400, { $retryable: { throttling: true } })],
    ['a cut body', new Error('aborted')],
    ['an AggregateError of refused addresses', new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')])],
    [
      "the SDK's wrapper of a socket error from another realm",
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:41717'),
    ],
  ])('turns %s into StorageUnavailableError, retryable', (_, error) => {
    const wrapped = wrapS3Error(error, 'a/b', 'pacs');
    expect(wrapped).toBeInstanceOf(StorageUnavailableError);
    expect(wrapped).toMatchObject({ retryable: true, cause: error });
  });

  it('asks for a longer Retry-After when the server says it is overloaded', () => {
    expect(wrapS3Error(serviceError('SlowDown', 503), 'k', 'pacs')).toMatchObject({ retryAfterSeconds: 5 });
    expect(wrapS3Error(errno('ECONNREFUSED'), 'k', 'pacs')).toMatchObject({ retryAfterSeconds: 1 });
  });

  it.each([
    ['a missing bucket', serviceError('NoSuchBucket', 404)],
    ['wrong credentials', serviceError('SignatureDoesNotMatch', 403)],
    ['access denied', serviceError('AccessDenied', 403)],
    ['a bad request', serviceError('InvalidArgument', 400)],
  ])('turns %s into a StorageError that is not retryable', (_, error) => {
    const wrapped = wrapS3Error(error, 'a/b', 'pacs');
    expect(wrapped).toBeInstanceOf(StorageError);
    expect(wrapped).not.toBeInstanceOf(BlobNotFoundError);
    expect(wrapped).toMatchObject({ retryable: false });
  });

  it('passes AbortErrors and storage errors through unchanged', () => {
    const abort = Object.assign(new Error('Upload aborted.'), { name: 'AbortError' });
    expect(wrapS3Error(abort, 'k', 'pacs')).toBe(abort);
    const notFound = new BlobNotFoundError('k');
    expect(wrapS3Error(notFound, 'k', 'pacs')).toBe(notFound);
  });
});
