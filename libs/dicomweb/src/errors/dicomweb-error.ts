// The errors of the DICOMweb protocol. A code is declared with its HTTP status, so no code can lack one
// (PS3.18 §8.5 "Status Codes" lists the statuses the transactions use; only those are declared here).

/**
 * PS3.18 §8.5 and the per-transaction status tables (§10.4.3.1, §10.5.3.1, §10.6.3.1): the failure
 * statuses a DICOMweb origin server answers with.
 */
export const httpStatusOf = {
  /** The request is malformed: query parameters, multipart syntax, UIDs in the path (PS3.18 §8.5). */
  BadRequest: 400,
  /** No valid credentials (PS3.18 §8.5; RFC 7235). */
  Unauthorized: 401,
  /** Valid credentials without the right to this resource (PS3.18 §8.5). */
  Forbidden: 403,
  /** The target resource does not exist (PS3.18 §8.5). */
  NotFound: 404,
  /** No acceptable media type can be returned; never a silent fallback (PS3.18 §8.7.8.1 step 5). */
  NotAcceptable: 406,
  /** STOW-RS: nothing stored because of a conflict, e.g. Study Instance UID mismatch (PS3.18 Table 10.5.3-1). */
  Conflict: 409,
  /** The resource existed and was deleted (PS3.18 §8.5). */
  Gone: 410,
  /** The payload, a part or the number of parts is larger than the server accepts (PS3.18 §8.5). */
  PayloadTooLarge: 413,
  /** The Content-Type of the request is not supported (PS3.18 Table 10.5.3-1). */
  UnsupportedMediaType: 415,
  /** A Range header this resource cannot satisfy (bulkdata byte ranges, PS3.18 §8.4.1; RFC 7233). */
  RangeNotSatisfiable: 416,
  /** Too many requests from this client; carries Retry-After (RFC 6585 §4). */
  TooManyRequests: 429,
  /** A transaction or resource the server does not implement (PS3.18 §8.5). */
  NotImplemented: 501,
  /** A dependency (database, bus, object storage) is down; carries Retry-After (PS3.18 §8.5; RFC 7231 §6.6.4). */
  Unavailable: 503,
} as const satisfies Record<string, number>;

export type DicomwebErrorCode = keyof typeof httpStatusOf;

export interface DicomwebErrorOptions extends ErrorOptions {
  /** Whether the same request may succeed later (a consumer retries only these). */
  retryable?: boolean;
  /** Seconds a client should wait before retrying; sent as Retry-After on 429 and 503. */
  retryAfterSeconds?: number;
}

/**
 * A failure with a DICOMweb meaning. The message is the reason text sent to the client (in the body and in
 * the Warning header), so it says what was wrong with the request and never contains stored data.
 */
export class DicomwebError extends Error {
  override readonly name = 'DicomwebError';
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: DicomwebErrorCode,
    message: string,
    options: DicomwebErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? (code === 'Unavailable' || code === 'TooManyRequests');
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return httpStatusOf[this.code];
  }
}

export const isDicomwebError = (error: unknown): error is DicomwebError => error instanceof DicomwebError;
