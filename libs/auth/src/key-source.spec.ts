import { TestIssuer } from '../test/token-issuer';
import { KeySetUnavailableError, UnknownKeyError } from './key-set';
import { RemoteKeySource } from './key-source';

describe('RemoteKeySource', () => {
  const issuer = new TestIssuer();
  let url: string;
  beforeAll(async () => {
    url = await issuer.serve();
  });
  afterAll(() => issuer.close());

  it('finds the JWKS through the issuer’s OpenID configuration when no URL is given', async () => {
    const keys = new RemoteKeySource({ jwksUrl: '', issuer: url, maxAgeMs: 60_000, cooldownMs: 0 });
    const key = await keys.keyFor({ kid: issuer.ec.kid, alg: 'ES256' });
    expect(key).toMatchObject({ kid: issuer.ec.kid, kty: 'EC', crv: 'P-256' });
    expect(issuer.hits['/.well-known/openid-configuration']).toBeGreaterThanOrEqual(1);
  });

  it('asks again for an unknown kid at most once per cool-down', async () => {
    const keys = new RemoteKeySource({ jwksUrl: issuer.jwksUrl, issuer: url, maxAgeMs: 60_000, cooldownMs: 60_000 });
    await keys.ready();
    const before = issuer.hits['/jwks.json'] ?? 0;
    for (let i = 0; i < 5; i++)
      await expect(keys.keyFor({ kid: `made-up-${i}`, alg: 'RS256' })).rejects.toBeInstanceOf(UnknownKeyError);
    expect(issuer.hits['/jwks.json']).toBe(before);
  });

  it('keeps using stale keys when the issuer cannot be reached, and is unavailable without any', async () => {
    let now = 0;
    let up = true;
    const flaky: typeof fetch = (input, init) => (up ? fetch(input, init) : Promise.reject(new Error('ECONNREFUSED')));
    const keys = new RemoteKeySource({
      jwksUrl: issuer.jwksUrl,
      issuer: url,
      maxAgeMs: 1_000,
      cooldownMs: 0,
      fetch: flaky,
      now: () => now,
      logger: { warn: () => {} },
    });
    await keys.ready();
    up = false;
    now = 10_000;
    await expect(keys.keyFor({ kid: issuer.rsa.kid, alg: 'RS256' })).resolves.toMatchObject({ kid: issuer.rsa.kid });
    const never = new RemoteKeySource({
      jwksUrl: issuer.jwksUrl,
      issuer: url,
      maxAgeMs: 1,
      cooldownMs: 0,
      fetch: flaky,
    });
    await expect(never.ready()).rejects.toBeInstanceOf(KeySetUnavailableError);
  });
});
