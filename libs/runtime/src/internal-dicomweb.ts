import { ServiceTokenError, type ServiceCredentials } from '@pacs/auth';

/** A request to the API: the body is text (DICOM JSON), so it can be sent a second time after a 401. */
export type InternalRequestInit = Omit<RequestInit, 'body' | 'headers'> & {
  body?: string;
  headers?: Record<string, string>;
};

/**
 * This deployment's own DICOMweb API as a client (PACS_DICOMWEB_INTERNAL_URL): how the hl7 and worklist features
 * create and search UPS workitems and warm the caches of priors. With PACS_AUTH_MODE=jwt every request carries
 * `Authorization: Bearer` with a token of the service client (PACS_SERVICE_CLIENT_ID, client credentials
 * grant), verified by the gateway and the service that answers like any caller's. A 401 drops the token and the
 * request is sent once more with a new one (a token revoked, or signed with a key the issuer rotated out).
 */
export class InternalDicomweb {
  constructor(
    /** The DICOMweb root, without a trailing slash. */
    readonly baseUrl: string,
    private readonly credentials: ServiceCredentials = {},
    private readonly send: typeof fetch = fetch,
  ) {}

  /**
   * Sends a request to a URL below baseUrl (never elsewhere: the token is for our API only).
   * @throws ServiceTokenError when no token can be had (the request was not sent); fetch's errors otherwise
   */
  async fetch(url: string, init: InternalRequestInit = {}): Promise<Response> {
    const rest = url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) : undefined;
    if (rest === undefined || !(rest === '' || rest.startsWith('/') || rest.startsWith('?'))) {
      throw new Error(`${url} is not below the DICOMweb root ${this.baseUrl}`);
    }
    const { tokens, problem } = this.credentials;
    if (problem) throw new ServiceTokenError(problem);
    if (!tokens) return this.send(url, init);
    const token = await tokens.token();
    const response = await this.send(url, withBearer(init, token));
    if (response.status !== 401) return response;
    await response.body?.cancel();
    tokens.invalidate(token);
    return this.send(url, withBearer(init, await tokens.token()));
  }
}

const withBearer = (init: InternalRequestInit, token: string): RequestInit => ({
  ...init,
  headers: { ...init.headers, authorization: `Bearer ${token}` },
});
