// Where the issuer's signing keys come from: its JWKS URL (fetched, cached, fetched again on rotation) or a
// file (air-gapped sites). Either way a token that names a key we do not have makes us look again, at most
// once per cool-down, so a rotated key is picked up within seconds and a flood of made-up key ids costs nothing.
import { readFile } from 'node:fs/promises';
import {
  KeySetUnavailableError,
  maxKeySetBytes,
  parseKeySet,
  selectKey,
  UnknownKeyError,
  type VerificationKey,
} from './key-set';

export interface KeySource {
  /** The key that verifies a token with this header. @throws UnknownKeyError, KeySetUnavailableError */
  keyFor(header: { kid?: unknown; alg?: unknown }): Promise<VerificationKey>;
  /** Loads the keys if they are not loaded yet (readiness). @throws KeySetUnavailableError */
  ready(): Promise<void>;
}

export interface KeySourceLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

interface CachingOptions {
  /** Keys older than this are loaded again before use (a failure keeps the old ones). */
  maxAgeMs: number;
  /** Least time between two loads caused by unknown key ids. */
  cooldownMs: number;
  logger?: KeySourceLogger;
  now?: () => number;
}

/** The caching and rotation logic; subclasses say how a key set is loaded. */
abstract class CachingKeySource implements KeySource {
  private keys: VerificationKey[] | undefined;
  private loadedAt = 0;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private loading: Promise<VerificationKey[]> | undefined;
  protected readonly now: () => number;

  constructor(private readonly caching: CachingOptions) {
    this.now = caching.now ?? Date.now;
  }

  protected abstract load(): Promise<VerificationKey[]>;
  protected abstract describe(): string;

  async ready(): Promise<void> {
    await this.current();
  }

  async keyFor(header: { kid?: unknown; alg?: unknown }): Promise<VerificationKey> {
    const keys = await this.current();
    const key = selectKey(keys, header);
    if (key) return key;
    if (this.now() - this.lastAttempt >= this.caching.cooldownMs) {
      const reloaded = selectKey(await this.reload(), header);
      if (reloaded) return reloaded;
    }
    throw new UnknownKeyError(
      typeof header.kid === 'string' ? 'The token is signed with an unknown key' : 'The token names no key id',
    );
  }

  private async current(): Promise<VerificationKey[]> {
    if (this.keys && this.now() - this.loadedAt < this.caching.maxAgeMs) return this.keys;
    if (this.keys) {
      // Stale: refresh, but keep serving the old keys if the issuer cannot be reached.
      return this.reload().catch((error: unknown) => {
        this.caching.logger?.warn(
          { source: this.describe(), err: error instanceof Error ? error.message : String(error) },
          'signing keys could not be refreshed; the cached ones stay in use',
        );
        return this.keys!;
      });
    }
    return this.reload();
  }

  /** One load at a time: concurrent callers share it. */
  private reload(): Promise<VerificationKey[]> {
    this.loading ??= (async () => {
      this.lastAttempt = this.now();
      try {
        const keys = await this.load();
        this.keys = keys;
        this.loadedAt = this.now();
        return keys;
      } catch (error) {
        throw error instanceof KeySetUnavailableError
          ? error
          : new KeySetUnavailableError(`The signing keys cannot be loaded from ${this.describe()}`, { cause: error });
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

export interface RemoteKeySourceOptions extends CachingOptions {
  /** The JWKS URL; empty: discovered from the issuer (OpenID Connect Discovery 1.0 §4). */
  jwksUrl: string;
  issuer: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The issuer's JWKS over HTTP(S). */
export class RemoteKeySource extends CachingKeySource {
  private jwksUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: RemoteKeySourceOptions) {
    super(options);
    this.jwksUrl = options.jwksUrl;
    this.fetch = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  protected describe(): string {
    return this.jwksUrl || `${this.options.issuer} (discovery)`;
  }

  protected async load(): Promise<VerificationKey[]> {
    if (!this.jwksUrl) {
      // OpenID Connect Discovery 1.0 §4: the provider's metadata at <issuer>/.well-known/openid-configuration.
      const metadata = JSON.parse(
        await this.get(`${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`),
      ) as { jwks_uri?: unknown };
      if (typeof metadata.jwks_uri !== 'string') {
        throw new KeySetUnavailableError("The issuer's OpenID configuration names no jwks_uri");
      }
      this.jwksUrl = metadata.jwks_uri;
    }
    return parseKeySet(await this.get(this.jwksUrl));
  }

  private async get(url: string): Promise<string> {
    const response = await this.fetch(url, {
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    if (!response.ok) throw new KeySetUnavailableError(`${url} answered ${response.status}`);
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > maxKeySetBytes) throw new KeySetUnavailableError(`${url} is larger than a key set`);
    const text = await response.text();
    if (text.length > maxKeySetBytes) throw new KeySetUnavailableError(`${url} is larger than a key set`);
    return text;
  }
}

export interface FileKeySourceOptions extends CachingOptions {
  path: string;
}

/** A JWKS file, e.g. a ConfigMap mounted where the issuer cannot be reached. */
export class FileKeySource extends CachingKeySource {
  constructor(private readonly options: FileKeySourceOptions) {
    super(options);
  }

  protected describe(): string {
    return this.options.path;
  }

  protected async load(): Promise<VerificationKey[]> {
    const text = await readFile(this.options.path, 'utf8');
    if (text.length > maxKeySetBytes) throw new KeySetUnavailableError(`${this.options.path} is larger than a key set`);
    return parseKeySet(text);
  }
}
