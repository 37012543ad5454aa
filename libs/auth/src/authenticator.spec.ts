import { TestIssuer } from '../test/token-issuer';
import { AuthError } from './auth-error';
import { Authenticator } from './authenticator';
import { FileKeySource } from './key-source';
import { anonymousPrincipal, Scope } from './principal';
import { createTokenVerifier } from './token-verifier';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('Authenticator', () => {
  const issuer = new TestIssuer();
  const jwksPath = join(mkdtempSync(join(tmpdir(), 'pacs-jwks-')), 'jwks.json');
  writeFileSync(jwksPath, JSON.stringify(issuer.jwks()));
  const verifier = createTokenVerifier({
    keys: new FileKeySource({ path: jwksPath, maxAgeMs: 60_000, cooldownMs: 0 }),
    issuer: issuer.issuer,
    audiences: [issuer.audience],
    algorithms: ['RS256', 'ES256'],
    clockToleranceSeconds: 0,
  });
  const single = new Authenticator({ verifier, partitions: new Map(), partitionClaim: 'tenant' });
  const tenants = new Authenticator({
    verifier,
    partitions: new Map([
      ['radiology', 1],
      ['cardiology', 2],
    ]),
    partitionClaim: 'tenant',
  });
  const bearer = (claims: Record<string, unknown>) => `Bearer ${issuer.sign(claims)}`;

  it('is the anonymous principal in every partition-1 request when authentication is off', async () => {
    const off = new Authenticator({ partitions: new Map(), partitionClaim: 'tenant' });
    expect(off.enabled).toBe(false);
    await expect(off.authenticate('POST', '/dicomweb/studies', undefined)).resolves.toBe(anonymousPrincipal);
  });

  it('answers 401 with a bare Bearer challenge when there is no token (RFC 6750 §3.1)', async () => {
    const error = await refusal(single.authenticate('GET', '/dicomweb/studies', undefined));
    expect([error.status, error.challenge]).toEqual([401, 'Bearer realm="pacs"']);
    const basic = await refusal(single.authenticate('GET', '/dicomweb/studies', 'Basic dXNlcjpwYXNz'));
    expect([basic.status, basic.challenge]).toEqual([401, 'Bearer realm="pacs"']);
  });

  it('answers 400 invalid_request for malformed or repeated bearer credentials', async () => {
    const error = await refusal(single.authenticate('GET', '/dicomweb/studies', 'Bearer a b'));
    expect(error.status).toBe(400);
    expect(error.challenge).toContain('error="invalid_request"');
    expect((await refusal(single.authenticate('GET', '/dicomweb/studies', ['Bearer a', 'Bearer b']))).status).toBe(400);
  });

  it('answers 401 invalid_token with the reason for an expired token, never quoting the token', async () => {
    const token = issuer.sign({}, { expiresIn: -60 });
    const error = await refusal(single.authenticate('GET', '/dicomweb/studies', `Bearer ${token}`));
    expect(error.status).toBe(401);
    expect(error.challenge).toBe(
      'Bearer realm="pacs", error="invalid_token", error_description="The access token has expired"',
    );
    expect(`${error.message}${error.challenge}`).not.toContain(token.slice(0, 20));
  });

  it.each([
    ['GET', '/dicomweb/studies', Scope.Read],
    ['HEAD', '/dicomweb/studies/1.2/series/3.4', Scope.Read],
    ['POST', '/dicomweb/studies', Scope.Write],
    ['PUT', '/dicomweb/workitems/1.2', Scope.Write],
    ['DELETE', '/dicomweb/studies/1.2', Scope.Admin],
    ['GET', '/admin/partitions', Scope.Admin],
  ])('requires for %s %s the scope %s, and answers 403 insufficient_scope without it', async (method, path, scope) => {
    const others = Object.values(Scope).filter((s) => s !== scope && s !== Scope.Admin);
    const error = await refusal(single.authenticate(method, path, bearer({ scope: others.join(' ') })));
    expect(error.status).toBe(403);
    expect(error.challenge).toBe(`Bearer realm="pacs", error="insufficient_scope", scope="${scope}"`);
    expect(error.principal?.subject).toBe('user-1');
    await expect(single.authenticate(method, path, bearer({ scope }))).resolves.toMatchObject({ authenticated: true });
    await expect(single.authenticate(method, path, bearer({ scp: [Scope.Admin] }))).resolves.toBeDefined();
  });

  it('builds the principal from sub, azp and scope', async () => {
    const principal = await single.authenticate(
      'GET',
      '/dicomweb/studies',
      bearer({ scope: 'dicomweb.read x', azp: 'ohif' }),
    );
    expect(principal).toMatchObject({ subject: 'user-1', clientId: 'ohif', authenticated: true, partitionId: 1 });
    expect([...principal.scopes].sort()).toEqual(['dicomweb.read', 'x']);
  });

  it('maps the partition claim to a partition, and refuses a token of no or several partitions', async () => {
    const read = { scope: Scope.Read };
    await expect(
      tenants.authenticate('GET', '/dicomweb/studies', bearer({ ...read, tenant: 'cardiology' })),
    ).resolves.toMatchObject({
      partitionId: 2,
    });
    await expect(
      tenants.authenticate('GET', '/dicomweb/studies', bearer({ ...read, tenant: ['radiology'] })),
    ).resolves.toMatchObject({
      partitionId: 1,
    });
    for (const tenant of [undefined, 'oncology', ['radiology', 'cardiology']]) {
      const error = await refusal(tenants.authenticate('GET', '/dicomweb/studies', bearer({ ...read, tenant })));
      expect([tenant, error.status]).toEqual([tenant, 403]);
    }
  });
});
