import { DicomwebError } from '@pacs/dicomweb';
import type { Principal } from './principal';

/**
 * A refused request: 401 (no or invalid credentials), 400 (malformed credentials) or 403 (valid credentials
 * without the right), with the
 * WWW-Authenticate challenge of RFC 6750 §3 to send with it; or 503 when the issuer's keys cannot be had.
 * The message is the DICOM-style reason (Warning: 299 …) and never quotes the token.
 */
export class AuthError extends DicomwebError {
  constructor(
    code: 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'Unavailable',
    message: string,
    /** The WWW-Authenticate header value, if any. */
    readonly challenge?: string,
    options?: ErrorOptions & {
      /** Who was refused, when the token was valid (403): the audit trail names them. */
      principal?: Principal;
    },
  ) {
    super(code, message, { ...options, ...(code === 'Unavailable' ? { retryAfterSeconds: 5 } : {}) });
    this.principal = options?.principal;
  }

  readonly principal: Principal | undefined;
}

/** An RFC 6750 §3 challenge; quoted values keep to the characters §3 allows (no '"' or '\'). */
export function bearerChallenge(params: { error?: string; description?: string; scope?: string } = {}): string {
  const quoted = (v: string) => `"${v.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
  const parts = ['realm="pacs"'];
  if (params.error) parts.push(`error=${quoted(params.error)}`);
  if (params.description) parts.push(`error_description=${quoted(params.description)}`);
  if (params.scope) parts.push(`scope=${quoted(params.scope)}`);
  return `Bearer ${parts.join(', ')}`;
}
