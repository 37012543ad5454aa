import { createHmac } from 'node:crypto';
import { makeSigningKey, TestIssuer } from '../test/token-issuer';
import { KeySetUnavailableError } from './key-set';
import { RemoteKeySource, type KeySource } from './key-source';
import { createTokenVerifier, TokenProblem, TokenRejectedError, type TokenVerifier } from './token-verifier';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function problemOf(verifier: TokenVerifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.problem;
    throw error;
  }
  return 'accepted';
}

describe('createTokenVerifier', () => {
  const issuer = new TestIssuer();
  let url: string;
  let keys: KeySource;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    url = await issuer.serve();
  });
  afterAll(() => issuer.close());
  beforeEach(() => {
    issuer.published = [issuer.rsa, issuer.ec];
    keys = new RemoteKeySource({ jwksUrl: issuer.jwksUrl, issuer: url, maxAgeMs: 60_000, cooldownMs: 0 });
    verifier = createTokenVerifier({
      keys,
      issuer: url,
      audiences: ['other', issuer.audience],
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 30,
      cacheSize: 0,
    });
  });

  it('accepts an RS256 and an ES256 token of the issuer and gives their claims', async () => {
    const claims = await verifier.verify(issuer.sign({ scope: 'dicomweb.read' }));
    expect(claims).toMatchObject({ iss: url, sub: 'user-1', scope: 'dicomweb.read' });
    expect((await verifier.verify(issuer.sign({}, { key: issuer.ec }))).sub).toBe('user-1');
  });

  it('accepts a token whose audience list contains one of ours', async () => {
    await expect(verifier.verify(issuer.sign({ aud: ['x', issuer.audience] }))).resolves.toBeDefined();
  });

  it.each<[string, () => string, string]>([
    ['an expired token', () => issuer.sign({}, { expiresIn: -120 }), TokenProblem.Expired],
    ['a token not valid yet', () => issuer.sign({}, { notBefore: 600 }), TokenProblem.NotYetValid],
    ['a token of another issuer', () => issuer.sign({ iss: 'https://evil.example' }), TokenProblem.Issuer],
    ['a token for another audience', () => issuer.sign({ aud: 'someone-else' }), TokenProblem.Audience],
    ['a token without exp', () => issuer.sign({}, { omit: ['exp'] }), TokenProblem.MissingClaim],
    ['a token without iss', () => issuer.sign({}, { omit: ['iss'] }), TokenProblem.MissingClaim],
    ['a token without aud', () => issuer.sign({}, { omit: ['aud'] }), TokenProblem.MissingClaim],
    ['garbage', () => 'not-a-jwt', TokenProblem.Malformed],
  ])('refuses %s', async (_label, token, problem) => {
    expect(await problemOf(verifier, token())).toBe(problem);
  });

  it('allows the configured clock skew on exp and nbf', async () => {
    expect(await problemOf(verifier, issuer.sign({}, { expiresIn: -10 }))).toBe('accepted');
    expect(await problemOf(verifier, issuer.sign({}, { notBefore: 10 }))).toBe('accepted');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = issuer.sign({ scope: 'dicomweb.read' }).split('.');
    const forged = b64url({
      iss: url,
      aud: issuer.audience,
      sub: 'admin',
      exp: 9_999_999_999,
      scope: 'dicomweb.admin',
    });
    expect(await problemOf(verifier, `${header}.${forged}.${signature}`)).toBe(TokenProblem.Signature);
  });

  it('refuses alg "none" (an unsigned token)', async () => {
    const payload = b64url({ iss: url, aud: issuer.audience, sub: 'x', exp: 9_999_999_999 });
    expect(await problemOf(verifier, `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`)).toBe(
      TokenProblem.Algorithm,
    );
  });

  it('refuses HS256 signed with the public key as secret (algorithm confusion)', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT', kid: issuer.rsa.kid });
    const payload = b64url({ iss: url, aud: issuer.audience, sub: 'x', exp: 9_999_999_999 });
    const secret = issuer.rsa.publicKey.export({ format: 'pem', type: 'spki' });
    const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
    expect(await problemOf(verifier, `${header}.${payload}.${signature}`)).toBe(TokenProblem.Algorithm);
  });

  it('refuses an algorithm outside the allow-list even when the key fits', async () => {
    const strict = createTokenVerifier({
      keys,
      issuer: url,
      audiences: [issuer.audience],
      algorithms: ['ES256'],
      clockToleranceSeconds: 0,
    });
    expect(await problemOf(strict, issuer.sign())).toBe(TokenProblem.Algorithm);
  });

  it('refuses a token whose header claims ES256 for the RSA key id', async () => {
    const [, payload, signature] = issuer.sign().split('.');
    const header = b64url({ alg: 'ES256', typ: 'JWT', kid: issuer.rsa.kid });
    expect(await problemOf(verifier, `${header}.${payload}.${signature}`)).toBe(TokenProblem.UnknownKey);
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    const stranger = makeSigningKey('RS256', issuer.rsa.kid);
    expect(await problemOf(verifier, issuer.sign({}, { key: stranger }))).toBe(TokenProblem.Signature);
    const unknown = makeSigningKey('RS256');
    expect(await problemOf(verifier, issuer.sign({}, { key: unknown }))).toBe(TokenProblem.UnknownKey);
  });

  it('picks up a rotated key: an unknown kid makes it fetch the JWKS again', async () => {
    await verifier.verify(issuer.sign());
    const next = makeSigningKey('RS256');
    issuer.published = [next];
    const fetches = issuer.hits['/jwks.json'] ?? 0;
    await expect(verifier.verify(issuer.sign({}, { key: next }))).resolves.toBeDefined();
    expect(issuer.hits['/jwks.json']).toBe(fetches + 1);
  });

  it('uses the only fitting key for a token without kid', async () => {
    expect(await problemOf(verifier, issuer.sign({}, { kid: null }))).toBe('accepted');
  });

  it('says the keys are unavailable (not that the token is bad) when the JWKS cannot be fetched', async () => {
    const down = createTokenVerifier({
      keys: new RemoteKeySource({ jwksUrl: 'http://127.0.0.1:9/jwks.json', issuer: url, maxAgeMs: 1, cooldownMs: 0 }),
      issuer: url,
      audiences: [issuer.audience],
      algorithms: ['RS256'],
      clockToleranceSeconds: 0,
    });
    await expect(down.verify(issuer.sign())).rejects.toBeInstanceOf(KeySetUnavailableError);
  });
});
