// A stand-in OpenID Connect issuer for tests: an RSA and an EC signing key made on the spot, tokens signed with
// them, and its JWKS, discovery document and token endpoint (client credentials grant, RFC 6749 §4.4, for the
// clients registered with it) served over HTTP on 127.0.0.1 (nothing is downloaded).
import { createSigner } from 'fast-jwt';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function makeSigningKey(
  alg: 'RS256' | 'ES256',
  kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`,
): SigningKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, ...pair };
}

export interface SignOptions {
  key?: SigningKey;
  /** Seconds from now; negative: already expired. Default 300. */
  expiresIn?: number;
  /** Seconds from now the token becomes valid. */
  notBefore?: number;
  /** Header kid; null leaves it out. Default: the key's. */
  kid?: string | null;
  /** Claims left out of the defaults (iss, aud, exp, sub). */
  omit?: ('iss' | 'aud' | 'exp' | 'sub')[];
}

/** A confidential client of the token endpoint. */
export interface TestClient {
  secret: string;
  /** The scopes it may be granted (and is, when it asks for none). */
  scopes: string[];
  /** Further claims of its tokens (e.g. the partition claim). */
  claims?: Record<string, unknown>;
}

/** What the token endpoint was asked, in order. */
export interface TokenRequest {
  /** The client id of the Basic credentials, form-decoded (RFC 6749 §2.3.1); undefined without them. */
  clientId?: string;
  form: Record<string, string>;
  status: number;
}

/** A canned answer of the token endpoint, given before the real ones (tests of failures). */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  /** Close the connection without answering. */
  drop?: boolean;
}

/** application/x-www-form-urlencoded decoding of one value (the inverse of RFC 6749 Appendix B). */
const formDecoded = (value: string): string => new URLSearchParams(`v=${value}`).get('v') ?? '';

export class TestIssuer {
  readonly rsa = makeSigningKey('RS256');
  readonly ec = makeSigningKey('ES256');
  /** Keys published in the JWKS (tests rotate by changing it). */
  published: SigningKey[] = [this.rsa, this.ec];
  readonly audience = 'pacs-test';
  private server: Server | undefined;
  /** Requests the server answered, by path. */
  readonly hits: Record<string, number> = {};
  issuer = 'https://issuer.invalid/realms/test';
  /** Clients of the token endpoint, by client id. */
  readonly clients = new Map<string, TestClient>();
  readonly tokenRequests: TokenRequest[] = [];
  /** Answers the token endpoint gives first, one per request, before it issues tokens again. */
  readonly scripted: ScriptedAnswer[] = [];
  /** expires_in of the tokens the endpoint issues (and their exp); undefined leaves expires_in out (300 s). */
  tokenLifetimeSeconds: number | undefined = 300;
  /** Whether the discovery document names the token endpoint. */
  discoversTokenEndpoint = true;

  registerClient(clientId: string, client: TestClient): void {
    this.clients.set(clientId, client);
  }

  jwks(keys: SigningKey[] = this.published): { keys: Record<string, unknown>[] } {
    return {
      keys: keys.map((k) => ({
        ...(k.publicKey.export({ format: 'jwk' }) as object),
        kid: k.kid,
        alg: k.alg,
        use: 'sig',
      })),
    };
  }

  sign(claims: Record<string, unknown> = {}, options: SignOptions = {}): string {
    const key = options.key ?? this.rsa;
    const now = Math.floor(Date.now() / 1000);
    const defaults: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.audience,
      sub: 'user-1',
      iat: now,
      exp: now + (options.expiresIn ?? 300),
      ...(options.notBefore !== undefined ? { nbf: now + options.notBefore } : {}),
    };
    for (const name of options.omit ?? []) delete defaults[name];
    const kid = options.kid === undefined ? key.kid : options.kid;
    const sign = createSigner({
      key: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      algorithm: key.alg,
      noTimestamp: true,
      ...(kid === null ? {} : { kid }),
    });
    return sign({ ...defaults, ...claims });
  }

  /** Serves /jwks.json, /.well-known/openid-configuration and /token; the issuer becomes this server's URL. */
  async serve(): Promise<string> {
    this.server = createServer((request, response) => {
      const path = request.url ?? '';
      this.hits[path] = (this.hits[path] ?? 0) + 1;
      if (path === '/jwks.json') {
        response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(this.jwks()));
      } else if (path === '/.well-known/openid-configuration') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: this.issuer,
            jwks_uri: `${this.issuer}/jwks.json`,
            ...(this.discoversTokenEndpoint ? { token_endpoint: this.tokenUrl } : {}),
          }),
        );
      } else if (path === '/token' && request.method === 'POST') {
        void this.token(request, response);
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.issuer;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks.json`;
  }

  get tokenUrl(): string {
    return `${this.issuer}/token`;
  }

  /**
   * The token endpoint: client authentication by HTTP Basic (client_secret_basic, RFC 6749 §2.3.1), the client
   * credentials grant (§4.4.2), a JWT access token (RFC 9068) for the client as its subject (§5.1), errors as
   * §5.2 says (invalid_client with 401 and a Basic challenge).
   */
  private async token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
    const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : undefined;
    const colon = decoded?.indexOf(':') ?? -1;
    const clientId = decoded && colon >= 0 ? formDecoded(decoded.slice(0, colon)) : undefined;
    const secret = decoded && colon >= 0 ? formDecoded(decoded.slice(colon + 1)) : undefined;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.tokenRequests.push({ ...(clientId !== undefined ? { clientId } : {}), form, status });
      response
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
        .end(body === undefined ? '' : JSON.stringify(body));
    };
    const scripted = this.scripted.shift();
    if (scripted?.drop) {
      this.tokenRequests.push({ ...(clientId !== undefined ? { clientId } : {}), form, status: 0 });
      request.socket.destroy();
      return;
    }
    if (scripted) return answer(scripted.status, scripted.body);
    const client = clientId === undefined ? undefined : this.clients.get(clientId);
    if (!client || client.secret !== secret) {
      return answer(
        401,
        { error: 'invalid_client', error_description: 'Client authentication failed' },
        {
          'www-authenticate': 'Basic realm="test"',
        },
      );
    }
    if (form.grant_type !== 'client_credentials') return answer(400, { error: 'unsupported_grant_type' });
    const asked = (form.scope ?? '').split(' ').filter(Boolean);
    if (asked.some((s) => !client.scopes.includes(s))) return answer(400, { error: 'invalid_scope' });
    const scope = (asked.length > 0 ? asked : client.scopes).join(' ');
    const lifetime = this.tokenLifetimeSeconds ?? 300;
    const accessToken = this.sign(
      {
        sub: clientId,
        client_id: clientId,
        jti: randomUUID(),
        scope,
        ...(form.audience ? { aud: form.audience } : {}),
        ...client.claims,
      },
      { expiresIn: lifetime },
    );
    answer(200, {
      access_token: accessToken,
      token_type: 'Bearer',
      scope,
      ...(this.tokenLifetimeSeconds === undefined ? {} : { expires_in: lifetime }),
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
