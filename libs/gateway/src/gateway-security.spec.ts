// The gateway in front of a service, both with PACS_AUTH_MODE=jwt: the gateway refuses what has no valid token
// itself; what it forwards is authenticated again by the service (the token travels), traced as one trace
// (traceparent of the gateway's span), and audited once, by the process that answered.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { TestIssuer } from '../../auth/test/token-issuer';
import { auditLines, startProbe, type ProbeApp } from '../../runtime/test/probe-app';
import { GatewayFeature } from './gateway.module';

describe('gateway with authentication on', () => {
  const issuer = new TestIssuer();
  const gatewaySpans = new InMemorySpanExporter();
  const serviceSpans = new InMemorySpanExporter();
  let service: ProbeApp;
  let gateway: ProbeApp;

  beforeAll(async () => {
    await issuer.serve();
    const auth = {
      PACS_AUTH_MODE: 'jwt',
      PACS_OIDC_ISSUER: issuer.issuer,
      PACS_OIDC_AUDIENCE: issuer.audience,
      PACS_OIDC_JWKS_URL: issuer.jwksUrl,
    };
    service = await startProbe(auth, serviceSpans, undefined, 'qido');
    gateway = await startProbe(
      {
        ...auth,
        PACS_QIDO_URL: service.base,
        PACS_WADO_URL: service.base,
        PACS_STOW_URL: service.base,
        PACS_WORKLIST_URL: service.base,
      },
      gatewaySpans,
      [GatewayFeature],
      'gateway',
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await service?.close();
    await issuer.close();
  });
  beforeEach(() => {
    for (const app of [gateway, service]) app.log.lines.splice(0);
    gatewaySpans.reset();
    serviceSpans.reset();
  });

  it('refuses a request without a token itself, and audits it itself', async () => {
    const response = await fetch(`${gateway.base}/dicomweb/studies?PatientID=1`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="pacs"');
    expect((await auditLines(gateway.log, 1)).map((a) => [a.service, a.pacs.status])).toEqual([['gateway', 401]]);
    expect(service.log.lines).toEqual([]);
  });

  it('forwards a valid token; the service authenticates it again and is the only one to audit the access', async () => {
    const token = issuer.sign({ scope: 'dicomweb.read', sub: 'dr-who' });
    const response = await fetch(`${gateway.base}/dicomweb/studies`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ partitionId: 1, subject: 'dr-who' });
    const [record] = await auditLines(service.log, 1);
    expect(record).toMatchObject({
      service: 'qido',
      ActiveParticipant: [{ UserID: 'dr-who' }, {}],
      pacs: { status: 200 },
    });
    // The gateway's own request line is there; its audit line is not.
    await new Promise((r) => setTimeout(r, 50));
    expect(gateway.log.lines.filter((l) => l.log === 'audit')).toEqual([]);
    expect(gateway.log.lines.filter((l) => l.msg === 'request')).toHaveLength(1);
  });

  it('carries one trace from the gateway span to the service span, named by the route template', async () => {
    const token = issuer.sign({ scope: 'dicomweb.read' });
    await fetch(`${gateway.base}/dicomweb/studies/1.2.3/metadata`, { headers: { authorization: `Bearer ${token}` } });
    await auditLines(service.log, 1);
    const [edge] = gatewaySpans.getFinishedSpans();
    const [inner] = serviceSpans.getFinishedSpans();
    expect(edge!.name).toBe('GET /dicomweb/studies/:study/metadata');
    expect(inner!.name).toBe('GET /dicomweb/studies/:study/metadata');
    expect(inner!.spanContext().traceId).toBe(edge!.spanContext().traceId);
    expect(inner!.parentSpanContext?.spanId).toBe(edge!.spanContext().spanId);
  });

  it('keeps the service’s Vary beside its own (Origin)', async () => {
    const token = issuer.sign({ scope: 'dicomweb.read' });
    const response = await fetch(`${gateway.base}/dicomweb/studies/1.2.3/metadata`, {
      headers: { authorization: `Bearer ${token}`, origin: 'http://localhost:3000' },
    });
    expect(response.headers.get('vary')).toBe('Accept-Encoding, Origin');
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('passes a DICOM JSON body through unread (UPS-RS create), for the service to parse', async () => {
    const token = issuer.sign({ scope: 'dicomweb.write' });
    const workitem = [{ '00741000': { vr: 'CS', Value: ['SCHEDULED'] } }];
    const response = await fetch(`${gateway.base}/dicomweb/workitems?1.2.3`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/dicom+json' },
      body: JSON.stringify(workitem),
      signal: AbortSignal.timeout(5_000),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ received: workitem });
  });

  it('is refused by the service when a request reaches it without going through the gateway', async () => {
    expect((await fetch(`${service.base}/dicomweb/studies`)).status).toBe(401);
  });
});
