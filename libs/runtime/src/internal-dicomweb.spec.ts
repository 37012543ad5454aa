// Our own calls to the DICOMweb API (the hl7 and worklist features) under PACS_AUTH_MODE=jwt: a process whose
// features require 'dicomweb' calls another one (as hl7 calls the gateway) with the token of the client
// credentials grant, from the test issuer's token endpoint on 127.0.0.1.
import { ServiceTokenError, type AccessTokenSource } from '@pacs/auth';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestIssuer } from '../../auth/test/token-issuer';
import { ProbeModule, startProbe, type ProbeApp } from '../test/probe-app';
import { InternalDicomweb } from './internal-dicomweb';

const callsTheApi = [{ module: ProbeModule, requires: ['dicomweb'] as const }];

describe('InternalDicomweb', () => {
  const issuer = new TestIssuer();
  let api: ProbeApp;
  const started: ProbeApp[] = [];
  const jwt = () => ({
    PACS_AUTH_MODE: 'jwt',
    PACS_OIDC_ISSUER: issuer.issuer,
    PACS_OIDC_AUDIENCE: issuer.audience,
    PACS_OIDC_JWKS_URL: issuer.jwksUrl,
    PACS_AUTH_PARTITION_CLAIM: 'tenant',
    PACS_AUTH_PARTITIONS: 'radiology=1,cardiology=2',
  });
  const caller = async (overrides: Record<string, string>): Promise<ProbeApp> => {
    const app = await startProbe(
      { ...jwt(), PACS_DICOMWEB_INTERNAL_URL: `${api.base}/dicomweb`, ...overrides },
      undefined,
      callsTheApi,
      'hl7',
    );
    started.push(app);
    return app;
  };

  beforeAll(async () => {
    await issuer.serve();
    issuer.registerClient('pacs-services', {
      secret: 'service-secret-1',
      scopes: ['dicomweb.read', 'dicomweb.write'],
      claims: { tenant: 'cardiology' },
    });
    api = await startProbe(jwt());
  });
  afterAll(async () => {
    for (const app of started) await app.close();
    await api?.close();
    await issuer.close();
  });

  it('calls the API as the service client, with a token of the client credentials grant', async () => {
    const hl7 = await caller({
      PACS_SERVICE_CLIENT_ID: 'pacs-services',
      PACS_SERVICE_CLIENT_SECRET: 'service-secret-1',
    });
    const dicomweb = hl7.app.get(InternalDicomweb);
    expect(dicomweb.baseUrl).toBe(`${api.base}/dicomweb`);
    const response = await dicomweb.fetch(`${dicomweb.baseUrl}/studies`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ partitionId: 2, subject: 'pacs-services' });
    // Asked for at start, in the background, so that a wrong client shows in the log before the first order.
    expect(hl7.log.lines).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'service client: access token obtained', clientId: 'pacs-services' }),
    );
    expect(hl7.log.raw.join('')).not.toContain('service-secret-1');
  });

  it('warns at start when the issuer refuses the client, and every call fails with the reason', async () => {
    const hl7 = await caller({ PACS_SERVICE_CLIENT_ID: 'pacs-services', PACS_SERVICE_CLIENT_SECRET: 'not-it' });
    const dicomweb = hl7.app.get(InternalDicomweb);
    await expect(dicomweb.fetch(`${dicomweb.baseUrl}/studies`)).rejects.toThrow(/401 invalid_client/);
    expect(hl7.log.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'service client: no access token; calls to the DICOMweb API fail until one is obtained',
      }),
    );
    expect(hl7.log.raw.join('')).not.toContain('not-it');
  });

  it('warns at start under PACS_AUTH_MODE=jwt without a service client, and sends nothing', async () => {
    const hl7 = await caller({});
    expect(hl7.log.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(
          /^PACS_AUTH_MODE=jwt and PACS_SERVICE_CLIENT_ID and PACS_SERVICE_CLIENT_SECRET are not set/,
        ),
      }),
    );
    const dicomweb = hl7.app.get(InternalDicomweb);
    const before = api.log.lines.length;
    await expect(dicomweb.fetch(`${dicomweb.baseUrl}/studies`)).rejects.toBeInstanceOf(ServiceTokenError);
    expect(api.log.lines.slice(before)).toEqual([]);
  });

  it('drops a token the API refuses (401) and sends the request once more with a new one', async () => {
    const handed: string[] = [];
    const invalidated: string[] = [];
    const pool = [
      issuer.sign({ scope: 'dicomweb.read', tenant: 'radiology', sub: 'revoked' }, { expiresIn: -60 }),
      issuer.sign({ scope: 'dicomweb.read', tenant: 'radiology', sub: 'renewed' }),
    ];
    const tokens: AccessTokenSource = {
      token: async () => {
        const next = pool.find((t) => !invalidated.includes(t))!;
        handed.push(next);
        return next;
      },
      invalidate: (token) => void invalidated.push(token),
    };
    const dicomweb = new InternalDicomweb(`${api.base}/dicomweb`, { tokens });
    const response = await dicomweb.fetch(`${api.base}/dicomweb/studies`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ partitionId: 1, subject: 'renewed' });
    expect(invalidated).toEqual([pool[0]]);
    expect(handed).toEqual(pool);
  });

  it('gives a second 401 to the caller (no loop)', async () => {
    const expired = issuer.sign({ scope: 'dicomweb.read', tenant: 'radiology' }, { expiresIn: -60 });
    let asked = 0;
    const tokens: AccessTokenSource = { token: async () => (asked++, expired), invalidate: () => {} };
    const response = await new InternalDicomweb(`${api.base}/dicomweb`, { tokens }).fetch(
      `${api.base}/dicomweb/studies`,
    );
    expect(response.status).toBe(401);
    expect(asked).toBe(2);
  });

  it('sends the token below its DICOMweb root only', async () => {
    const tokens: AccessTokenSource = { token: async () => 'secret-token', invalidate: () => {} };
    const dicomweb = new InternalDicomweb('http://127.0.0.1:9/dicomweb', { tokens });
    for (const url of [
      'http://evil.example/dicomweb/studies',
      'http://127.0.0.1:9/dicomweb-other',
      'http://127.0.0.1:9/',
    ]) {
      await expect(dicomweb.fetch(url)).rejects.toThrow(
        `${url} is not below the DICOMweb root http://127.0.0.1:9/dicomweb`,
      );
    }
  });
});

describe('InternalDicomweb without authentication', () => {
  let server: Server;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends no Authorization header', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicomweb`;
    const response = await new InternalDicomweb(base).fetch(`${base}/workitems?limit=1`, {
      headers: { accept: 'application/dicom+json' },
    });
    expect(response.status).toBe(204);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBeUndefined();
    expect(seen[0]!.accept).toBe('application/dicom+json');
  });
});
