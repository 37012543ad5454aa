// Access tokens for our own calls to the DICOMweb API (the hl7 and worklist features), from the OAuth 2.0 client
// credentials grant (RFC 6749 §4.4) at the issuer's token endpoint: the services act as a client the issuer
// knows, with its own scopes, and every service verifies its token like any other (docs/architecture.md,
// "Security"). A token is reused until shortly before it expires; concurrent callers share one request.

/** Where access tokens come from. */
export interface AccessTokenSource {
  /** A valid access token: the cached one, or a new one. @throws ServiceTokenError */
  token(): Promise<string>;
  /** Forgets `token` if it is the cached one (the API refused it: revoked, or issued under rotated keys). */
  invalidate(token: string): void;
}

/** No token could be had. `retryable`: the endpoint was unreachable or failed (5xx); else it refused (4xx). */
export class ServiceTokenError extends Error {
  override readonly name = 'ServiceTokenError';
  readonly retryable: boolean;
  /** The OAuth error code of a refusal (RFC 6749 §5.2), e.g. invalid_client. */
  readonly oauthError: string | undefined;

  constructor(message: string, options?: ErrorOptions & { retryable?: boolean; oauthError?: string }) {
    super(message, options);
    this.retryable = options?.retryable ?? false;
    this.oauthError = options?.oauthError;
  }
}

export interface ServiceTokenLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface ClientCredentialsOptions {
  clientId: string;
  clientSecret: string;
  /** The token endpoint; empty: discovered from the issuer (OpenID Connect Discovery 1.0 §4, token_endpoint). */
  tokenUrl: string;
  issuer: string;
  /** Scopes asked for (RFC 6749 §3.3); none: the issuer's default scopes of the client. */
  scopes?: readonly string[];
  /** Sent as `audience` (e.g. Auth0 picks the token's aud by it); empty: not sent. */
  audience?: string;
  logger?: ServiceTokenLogger;
  /** Per request to the endpoint; default 10 s. */
  timeoutMs?: number;
  /** Tries per token, the first included, when the endpoint is unreachable or answers 5xx/429; default 4. */
  maxAttempts?: number;
  /** Wait before the second try, doubled after each (at most 8 s); default 500 ms. */
  initialBackoffMs?: number;
  /** After a failure, callers get the same error for this long instead of asking again; default 5 s. */
  failureCooldownMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Without expires_in (RFC 6749 §5.1 only recommends it) a token is used this long; a 401 renews it earlier. */
const defaultLifetimeSeconds = 60;
/** A token is renewed after 80 % of its lifetime, at most this long before it expires. */
const maxRenewalMarginSeconds = 60;
const maxBackoffMs = 8_000;
/** Largest answer of the token endpoint or the discovery document read. */
const maxAnswerBytes = 256 * 1024;

/**
 * application/x-www-form-urlencoded encoding of one value, as RFC 6749 §2.3.1 asks for the client id and secret
 * before they are joined for HTTP Basic (Appendix B): e.g. a ':' in a secret must not end the user id.
 */
const formEncoded = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

/** Printable, short: an error_description is the issuer's text and ends up in our logs. */
const printable = (value: unknown): string =>
  typeof value === 'string' ? value.replace(/[^\x20-\x7E]/g, '').slice(0, 200) : '';

/** Not what keeps a process alive: a token asked for in the background must not delay a shutdown. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

interface CachedToken {
  value: string;
  /** When to ask for the next one (ms since the epoch). */
  renewAt: number;
  /** Until when it may still be sent, should its renewal fail. */
  expiresAt: number;
}

/** The client credentials grant with client_secret_basic authentication, cached and single-flight. */
export class ClientCredentialsTokenSource implements AccessTokenSource {
  private cached: CachedToken | undefined;
  private pending: Promise<string> | undefined;
  private failure: { error: ServiceTokenError; until: number } | undefined;
  private tokenUrl: string;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: ClientCredentialsOptions) {
    if (!options.clientId || !options.clientSecret) throw new Error('The client credentials grant needs a client');
    if (!options.tokenUrl && !options.issuer) throw new Error('The client credentials grant needs a token endpoint');
    this.tokenUrl = options.tokenUrl;
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  token(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAt) return Promise.resolve(cached.value);
    const failure = this.failure;
    if (failure && this.now() < failure.until) {
      const stillValid = this.stillValid();
      return stillValid ? Promise.resolve(stillValid) : Promise.reject(failure.error);
    }
    this.pending ??= this.request()
      .then((token) => {
        this.failure = undefined;
        return token;
      })
      .catch((error: unknown) => {
        const failed =
          error instanceof ServiceTokenError
            ? error
            : new ServiceTokenError('No access token could be obtained', { cause: error, retryable: true });
        this.failure = { error: failed, until: this.now() + (this.options.failureCooldownMs ?? 5_000) };
        // A renewal that failed leaves the current token in use until it expires (the issuer may be back by then).
        const stillValid = this.stillValid();
        if (stillValid) {
          this.options.logger?.warn({ err: failed.message }, 'token renewal failed; the current token stays in use');
          return stillValid;
        }
        throw failed;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private stillValid(): string | undefined {
    return this.cached && this.now() < this.cached.expiresAt ? this.cached.value : undefined;
  }

  /** One token from the endpoint (RFC 6749 §4.4.2 request, §5.1 answer, §5.2 refusal). */
  private async request(): Promise<string> {
    const url = await this.endpoint();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const scopes = this.options.scopes ?? [];
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    if (this.options.audience) form.set('audience', this.options.audience);
    const credentials = `${formEncoded(this.options.clientId)}:${formEncoded(this.options.clientSecret)}`;
    const startedAt = this.now();
    const { status, body } = await this.withRetries(url, () =>
      this.fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'error',
      }),
    );
    const answer = body as { access_token?: unknown; token_type?: unknown; expires_in?: unknown; error?: unknown };
    if (status < 200 || status > 299) {
      const code = printable(answer?.error);
      const description = printable((body as { error_description?: unknown })?.error_description);
      throw new ServiceTokenError(
        `The token endpoint ${url} refused the client credentials of ${this.options.clientId}: ${status}` +
          `${code ? ` ${code}` : ''}${description ? ` (${description})` : ''}`,
        { retryable: false, ...(code ? { oauthError: code } : {}) },
      );
    }
    if (typeof answer?.access_token !== 'string' || answer.access_token === '') {
      throw new ServiceTokenError(`The token endpoint ${url} answered without an access_token`);
    }
    // RFC 6749 §7.1: only bearer tokens (RFC 6750) can be sent as we send them; token_type is case-insensitive.
    if (typeof answer.token_type !== 'string' || answer.token_type.toLowerCase() !== 'bearer') {
      throw new ServiceTokenError(`The token endpoint ${url} issued a token of type ${printable(answer.token_type)}`);
    }
    const expiresIn = Number(answer.expires_in);
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : defaultLifetimeSeconds;
    const margin = Math.min(maxRenewalMarginSeconds, lifetime / 5);
    // Counted from when the request was sent: the issuer's clock started no earlier.
    this.cached = {
      value: answer.access_token,
      renewAt: startedAt + (lifetime - margin) * 1000,
      expiresAt: startedAt + lifetime * 1000,
    };
    return answer.access_token;
  }

  /** The token endpoint: configured, or the issuer's token_endpoint (looked up once). */
  private async endpoint(): Promise<string> {
    if (this.tokenUrl) return this.tokenUrl;
    const url = `${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const { status, body } = await this.withRetries(url, () =>
      this.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'error',
      }),
    );
    const endpoint = (body as { token_endpoint?: unknown })?.token_endpoint;
    if (status !== 200 || typeof endpoint !== 'string' || !/^https?:\/\//i.test(endpoint)) {
      throw new ServiceTokenError(
        status === 200
          ? `The OpenID configuration of ${this.options.issuer} names no token_endpoint`
          : `${url} answered ${status}`,
        { retryable: status !== 200 && status >= 500 },
      );
    }
    this.tokenUrl = endpoint;
    return endpoint;
  }

  /**
   * Sends until an answer that is not worth waiting for: network failures, timeouts, 5xx and 429 are tried
   * again with exponential backoff (±20 % jitter); anything else is returned with its JSON body.
   */
  private async withRetries(url: string, send: () => Promise<Response>): Promise<{ status: number; body: unknown }> {
    const attempts = Math.max(1, this.options.maxAttempts ?? 4);
    let lastError: ServiceTokenError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (lastError) {
        const base = Math.min(maxBackoffMs, (this.options.initialBackoffMs ?? 500) * 2 ** (attempt - 2));
        const delay = Math.round(base * (0.8 + Math.random() * 0.4));
        this.options.logger?.warn(
          { url, attempt: attempt - 1, err: lastError.message, delayMs: delay },
          'token request failed; trying again',
        );
        await sleep(delay);
      }
      let response: Response;
      let text: string;
      try {
        response = await send();
        text = await this.readLimited(response, url);
      } catch (cause) {
        if (cause instanceof ServiceTokenError) throw cause;
        lastError = new ServiceTokenError(`${url} cannot be reached`, { cause, retryable: true });
        continue;
      }
      if (response.status >= 500 || response.status === 429) {
        lastError = new ServiceTokenError(`${url} answered ${response.status}`, { retryable: true });
        continue;
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, body };
    }
    throw lastError!;
  }

  private async readLimited(response: Response, url: string): Promise<string> {
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > maxAnswerBytes) {
      await response.body?.cancel();
      throw new ServiceTokenError(`${url} answered with ${length} bytes, more than a token`);
    }
    const text = await response.text();
    if (text.length > maxAnswerBytes) throw new ServiceTokenError(`${url} answered more than a token`);
    return text;
  }
}
