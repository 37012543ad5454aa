// The client credentials grant against a real token endpoint: the test issuer served on 127.0.0.1.
import { loadConfig } from '@pacs/config';
import { TestIssuer } from '../test/token-issuer';
import { ClientCredentialsTokenSource, ServiceTokenError, type ClientCredentialsOptions } from './client-credentials';
import { createServiceCredentials } from './create-service-credentials';
import { Scope } from './principal';
import { requiredScope } from './required-scope';
import { createTokenVerifier } from './token-verifier';
import { RemoteKeySource } from './key-source';

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('ClientCredentialsTokenSource', () => {
  const issuer = new TestIssuer();
  // A secret with what form encoding changes (RFC 6749 Appendix B): ':' must not end the user id, '+' and ' '
  // must arrive as themselves.
  const secret = 'sëcret:with+plus and/space%';
  let clock = 1_000_000;
  const now = () => clock;
  const source = (options: Partial<ClientCredentialsOptions> = {}) =>
    new ClientCredentialsTokenSource({
      clientId: 'pacs-services',
      clientSecret: secret,
      tokenUrl: issuer.tokenUrl,
      issuer: issuer.issuer,
      scopes: ['dicomweb.read', 'dicomweb.write'],
      initialBackoffMs: 1,
      now,
      ...options,
    });

  beforeAll(async () => {
    await issuer.serve();
    issuer.registerClient('pacs-services', {
      secret,
      scopes: ['dicomweb.read', 'dicomweb.write', 'dicomweb.admin'],
      claims: { tenant: 'radiology' },
    });
  });
  afterAll(() => issuer.close());
  beforeEach(() => {
    issuer.tokenRequests.splice(0);
    issuer.scripted.splice(0);
    issuer.tokenLifetimeSeconds = 300;
    issuer.discoversTokenEndpoint = true;
  });

  it('asks for the configured scopes and audience with HTTP Basic client authentication, and gets a token our verifier accepts', async () => {
    const token = await source({ audience: 'pacs-test' }).token();
    expect(issuer.tokenRequests).toEqual([
      {
        clientId: 'pacs-services',
        form: { grant_type: 'client_credentials', scope: 'dicomweb.read dicomweb.write', audience: 'pacs-test' },
        status: 200,
      },
    ]);
    const verifier = createTokenVerifier({
      keys: new RemoteKeySource({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, maxAgeMs: 60_000, cooldownMs: 0 }),
      issuer: issuer.issuer,
      audiences: [issuer.audience],
      algorithms: ['RS256'],
      clockToleranceSeconds: 0,
    });
    expect(await verifier.verify(token)).toMatchObject({
      sub: 'pacs-services',
      scope: 'dicomweb.read dicomweb.write',
      tenant: 'radiology',
    });
  });

  it('sends no scope parameter when none is configured (the issuer grants the client’s defaults)', async () => {
    const token = await source({ scopes: [] }).token();
    expect(issuer.tokenRequests[0]!.form).toEqual({ grant_type: 'client_credentials' });
    expect(claimsOf(token).scope).toBe('dicomweb.read dicomweb.write dicomweb.admin');
  });

  it('reuses a token until 80 % of its lifetime has passed, then asks for a new one', async () => {
    const tokens = source();
    const first = await tokens.token();
    clock += 239_000; // expires_in 300: renewed 60 s before
    expect(await tokens.token()).toBe(first);
    expect(issuer.tokenRequests).toHaveLength(1);
    clock += 2_000;
    await tokens.token();
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it('uses a token without expires_in for 60 s at most', async () => {
    issuer.tokenLifetimeSeconds = undefined;
    const tokens = source();
    await tokens.token();
    clock += 47_000;
    await tokens.token();
    expect(issuer.tokenRequests).toHaveLength(1);
    clock += 2_000;
    await tokens.token();
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it('keeps using the current token while its renewal fails, until it expires', async () => {
    const tokens = source({ maxAttempts: 1, failureCooldownMs: 1_000, logger: { warn: () => {} } });
    const first = await tokens.token();
    clock += 250_000; // past renewal (240 s), before expiry (300 s)
    issuer.scripted.push({ status: 503 });
    expect(await tokens.token()).toBe(first);
    expect(await tokens.token()).toBe(first); // within the cool-down: not asked again
    expect(issuer.tokenRequests).toHaveLength(2);
    clock += 51_000; // expired, and the cool-down is over
    issuer.scripted.push({ status: 503 });
    await expect(tokens.token()).rejects.toMatchObject({ retryable: true });
    expect(await tokens.token().catch(() => 'refused')).toBe('refused');
    expect(issuer.tokenRequests).toHaveLength(3);
  });

  it('makes one request for concurrent callers', async () => {
    const tokens = source();
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.token()));
    expect(new Set(all).size).toBe(1);
    expect(issuer.tokenRequests).toHaveLength(1);
  });

  it('forgets the token the API refused, and only that one', async () => {
    const tokens = source();
    const first = await tokens.token();
    tokens.invalidate('some-older-token');
    expect(await tokens.token()).toBe(first);
    tokens.invalidate(first);
    expect(await tokens.token()).not.toBe(first);
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it('reports refused credentials (401 invalid_client) at once, without the secret, and asks again only after the cool-down', async () => {
    const tokens = source({ clientSecret: 'wrong-secret', failureCooldownMs: 5_000 });
    const error = await tokens.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceTokenError);
    expect(error).toMatchObject({ retryable: false, oauthError: 'invalid_client' });
    expect((error as Error).message).toBe(
      `The token endpoint ${issuer.tokenUrl} refused the client credentials of pacs-services: 401 invalid_client (Client authentication failed)`,
    );
    expect((error as Error).message).not.toContain('wrong-secret');
    expect(issuer.tokenRequests).toHaveLength(1);
    await expect(tokens.token()).rejects.toBe(error);
    expect(issuer.tokenRequests).toHaveLength(1);
    clock += 5_001;
    await expect(tokens.token()).rejects.toBeInstanceOf(ServiceTokenError);
    expect(issuer.tokenRequests).toHaveLength(2);
  });

  it('reports a scope the client may not have (400 invalid_scope) without retrying', async () => {
    await expect(source({ scopes: ['dicomweb.everything'] }).token()).rejects.toMatchObject({
      retryable: false,
      oauthError: 'invalid_scope',
    });
    expect(issuer.tokenRequests).toHaveLength(1);
  });

  it('tries again after 5xx, 429 and dropped connections, with backoff', async () => {
    issuer.scripted.push({ status: 503 }, { status: 429, body: {} }, { status: 0, drop: true });
    const warnings: string[] = [];
    const token = await source({ logger: { warn: (_fields, message) => warnings.push(message) } }).token();
    expect(claimsOf(token).sub).toBe('pacs-services');
    expect(issuer.tokenRequests.map((r) => r.status)).toEqual([503, 429, 0, 200]);
    expect(warnings).toEqual(Array(3).fill('token request failed; trying again'));
  });

  it('gives up after its attempts with a retryable error, and recovers once the endpoint does', async () => {
    issuer.scripted.push({ status: 500 }, { status: 502 }, { status: 500 });
    const tokens = source({ maxAttempts: 3, failureCooldownMs: 1_000 });
    await expect(tokens.token()).rejects.toMatchObject({
      name: 'ServiceTokenError',
      retryable: true,
      message: `${issuer.tokenUrl} answered 500`,
    });
    expect(issuer.tokenRequests).toHaveLength(3);
    clock += 1_001;
    await expect(tokens.token()).resolves.toEqual(expect.any(String));
  });

  it('refuses a token that is not a bearer token', async () => {
    issuer.scripted.push({ status: 200, body: { access_token: 'abc', token_type: 'N_A', expires_in: 60 } });
    await expect(source().token()).rejects.toThrow(`The token endpoint ${issuer.tokenUrl} issued a token of type N_A`);
  });

  it('finds the token endpoint in the issuer’s OpenID configuration, once', async () => {
    const before = issuer.hits['/.well-known/openid-configuration'] ?? 0;
    const tokens = source({ tokenUrl: '' });
    await tokens.token();
    clock += 600_000;
    await tokens.token();
    expect(issuer.tokenRequests).toHaveLength(2);
    expect(issuer.hits['/.well-known/openid-configuration']).toBe(before + 1);
  });

  it('says so when the OpenID configuration names no token endpoint', async () => {
    issuer.discoversTokenEndpoint = false;
    await expect(source({ tokenUrl: '' }).token()).rejects.toThrow(
      `The OpenID configuration of ${issuer.issuer} names no token_endpoint`,
    );
  });

  it('is unavailable (retryable) when the endpoint cannot be reached at all', async () => {
    const tokens = source({ tokenUrl: 'http://127.0.0.1:1/token', maxAttempts: 2 });
    await expect(tokens.token()).rejects.toMatchObject({
      retryable: true,
      message: 'http://127.0.0.1:1/token cannot be reached',
    });
  });
});

describe('createServiceCredentials', () => {
  const jwt = {
    PACS_AUTH_MODE: 'jwt',
    PACS_OIDC_ISSUER: 'https://login.example.org/realms/hospital',
    PACS_OIDC_AUDIENCE: 'pacs',
  };

  it('needs no token without authentication', () => {
    expect(createServiceCredentials(loadConfig({}))).toEqual({});
  });

  it('names what is missing under PACS_AUTH_MODE=jwt', () => {
    expect(createServiceCredentials(loadConfig({}, jwt)).problem).toMatch(
      /^PACS_AUTH_MODE=jwt and PACS_SERVICE_CLIENT_ID and PACS_SERVICE_CLIENT_SECRET are not set: /,
    );
    expect(
      createServiceCredentials(loadConfig({}, { ...jwt, PACS_SERVICE_CLIENT_ID: 'pacs-services' })).problem,
    ).toMatch(/^PACS_AUTH_MODE=jwt and PACS_SERVICE_CLIENT_SECRET is not set: /);
  });

  it('makes a token source of the service client', () => {
    const credentials = createServiceCredentials(
      loadConfig({}, { ...jwt, PACS_SERVICE_CLIENT_ID: 'pacs-services', PACS_SERVICE_CLIENT_SECRET: 's' }),
    );
    expect(credentials.problem).toBeUndefined();
    expect(credentials.tokens).toBeInstanceOf(ClientCredentialsTokenSource);
  });

  it('asks by default for the scopes of every call the hl7 and worklist features make', () => {
    const calls: [string, string][] = [
      ['POST', '/dicomweb/workitems?1.2.3'], // Create Workitem
      ['POST', '/dicomweb/workitems/1.2.3'], // Update Workitem
      ['PUT', '/dicomweb/workitems/1.2.3/state'], // Change Workitem State
      ['POST', '/dicomweb/workitems/1.2.3/cancelrequest'],
      ['GET', '/dicomweb/workitems?ProcedureStepState=COMPLETED'], // Search Workitems
      ['GET', '/dicomweb/workitems/1.2.3'],
      ['GET', '/dicomweb/studies/1.2.3/metadata'], // priors prefetch
      ['GET', '/dicomweb/studies/1.2.3/series/4.5.6/thumbnail'],
    ];
    const needed = new Set(calls.map(([method, path]) => requiredScope(method, path)));
    expect([...needed].sort()).toEqual([Scope.Read, Scope.Write]);
    expect(loadConfig({}).PACS_SERVICE_SCOPES).toEqual([Scope.Read, Scope.Write]);
  });
});
