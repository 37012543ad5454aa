// A stand-in OpenID Connect issuer for tests: an RSA and an EC signing key made on the spot, tokens signed with
// them, and its JWKS and discovery document served over HTTP on 127.0.0.1 (nothing is downloaded).
import { createSigner } from 'fast-jwt';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
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

  /** Serves /jwks.json and /.well-known/openid-configuration; the issuer becomes this server's URL. */
  async serve(): Promise<string> {
    this.server = createServer((request, response) => {
      const path = request.url ?? '';
      this.hits[path] = (this.hits[path] ?? 0) + 1;
      if (path === '/jwks.json') {
        response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(this.jwks()));
      } else if (path === '/.well-known/openid-configuration') {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks.json` }));
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.issuer;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks.json`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
