// The HTTP layer every process shares, with authentication on (PACS_AUTH_MODE=jwt against a JWKS served on
// 127.0.0.1): who gets in, what the audit trail and /metrics say afterwards, and that logs keep no secret or PHI.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { TestIssuer } from '../../auth/test/token-issuer';
import { auditLines, startProbe as start } from '../test/probe-app';

describe('the HTTP layer with PACS_AUTH_MODE=jwt', () => {
  const issuer = new TestIssuer();
  let app: Awaited<ReturnType<typeof start>>;
  const read = () => ({ authorization: `Bearer ${issuer.sign({ scope: 'dicomweb.read', tenant: 'cardiology' })}` });

  beforeAll(async () => {
    await issuer.serve();
    app = await start({
      PACS_AUTH_MODE: 'jwt',
      PACS_OIDC_ISSUER: issuer.issuer,
      PACS_OIDC_AUDIENCE: issuer.audience,
      PACS_OIDC_JWKS_URL: issuer.jwksUrl,
      PACS_AUTH_PARTITION_CLAIM: 'tenant',
      PACS_AUTH_PARTITIONS: 'radiology=1,cardiology=2',
    });
  });
  afterAll(async () => {
    await app?.close();
    await issuer.close();
  });
  beforeEach(() => {
    app.log.lines.splice(0);
    app.log.raw.splice(0);
  });

  it('answers 401 with a Bearer challenge and a DICOM-style reason without a token', async () => {
    const response = await fetch(`${app.base}/dicomweb/studies`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="pacs"');
    expect(response.headers.get('warning')).toBe('299 probe: The request needs a bearer access token');
    expect(await response.json()).toMatchObject({ status: 401, code: 'Unauthorized' });
  });

  it('answers 401 for a path that does not exist, so nothing is learnt without a token', async () => {
    expect((await fetch(`${app.base}/dicomweb/no-such-thing`)).status).toBe(401);
    expect((await fetch(`${app.base}/no-such-thing`)).status).toBe(401);
  });

  it('answers 403 insufficient_scope for a valid token without the scope', async () => {
    const response = await fetch(`${app.base}/dicomweb/studies`, { method: 'POST', headers: read() });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="dicomweb.write"');
  });

  it('serves a token with the scope, in the partition its claim names', async () => {
    const response = await fetch(`${app.base}/dicomweb/studies`, { headers: read() });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ partitionId: 2, subject: 'user-1' });
  });

  it('still answers CORS preflights without a token (before authentication)', async () => {
    const response = await fetch(`${app.base}/dicomweb/studies`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization');
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect([path, (await fetch(`${app.base}${path}`)).status]).toEqual([path, 200]);
    }
    const ready = (await (await fetch(`${app.base}/readyz`)).json()) as { checks: unknown };
    expect(ready.checks).toEqual({ 'oidc-signing-keys': 'ok' });
  });

  it('writes one audit record per DICOMweb request: who, from where, what, on which study, with what outcome', async () => {
    await fetch(`${app.base}/dicomweb/studies/1.2.3/metadata`, { headers: { ...read(), 'x-request-id': 'audit-1' } });
    await fetch(`${app.base}/dicomweb/studies?PatientID=42`, { headers: { 'x-request-id': 'audit-2' } });
    await fetch(`${app.base}/healthz`);
    const [retrieve, refused, ...more] = await auditLines(app.log, 2);
    expect(more).toEqual([]);
    expect(retrieve).toMatchObject({
      log: 'audit',
      service: 'probe',
      EventIdentification: { EventID: { 'csd-code': '110104' }, EventActionCode: 'R', EventOutcomeIndicator: 0 },
      ActiveParticipant: [
        { UserID: 'user-1', UserIsRequestor: true, NetworkAccessPointID: '127.0.0.1' },
        { UserID: 'probe', UserIsRequestor: false },
      ],
      ParticipantObjectIdentification: [{ ParticipantObjectID: '1.2.3' }],
      pacs: { requestId: 'audit-1', route: '/dicomweb/studies/:study/metadata', status: 200, partitionId: 2 },
    });
    expect(refused).toMatchObject({
      EventIdentification: { EventID: { 'csd-code': '110112' }, EventOutcomeIndicator: 4 },
      ActiveParticipant: [{ UserID: 'anonymous' }, { UserID: 'probe' }],
      pacs: { requestId: 'audit-2', status: 401 },
    });
    expect(Buffer.from(refused!.ParticipantObjectIdentification[0].ParticipantObjectQuery, 'base64').toString()).toBe(
      'PatientID=42',
    );
  });

  it('audits a refused token holder by name', async () => {
    await fetch(`${app.base}/dicomweb/studies`, { method: 'POST', headers: read() });
    const [record] = await auditLines(app.log, 1);
    expect(record).toMatchObject({
      ActiveParticipant: [{ UserID: 'user-1' }, {}],
      pacs: { status: 403, partitionId: 2 },
    });
  });

  it('exposes request metrics by route template and status in the Prometheus text format', async () => {
    await fetch(`${app.base}/dicomweb/studies/1.2.840.99/metadata`, { headers: read() });
    await fetch(`${app.base}/dicomweb/studies/1.2.840.99/metadata`);
    const response = await fetch(`${app.base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const series = (status: number) =>
      new RegExp(
        `^http_server_request_duration_count\\{[^}]*http_route="/dicomweb/studies/:study/metadata"[^}]*http_response_status_code="${status}"[^}]*\\} [1-9]`,
        'm',
      );
    expect(text).toMatch(series(200));
    expect(text).toMatch(series(401));
    expect(text).toMatch(/^# TYPE http_server_active_requests gauge$/m);
    expect(text).toMatch(
      /^pacs_http_server_response_bytes_total\{[^}]*http_route="\/dicomweb\/studies\/:study\/metadata"[^}]*\} [1-9]/m,
    );
    expect(text).not.toContain('1.2.840.99');
  });

  it('keeps the bearer token and the patient name of a query out of every log line', async () => {
    const token = issuer.sign({ scope: 'dicomweb.read dicomweb.write', tenant: 'radiology' });
    const name = 'Geheimnisvoll^Patientin';
    await fetch(`${app.base}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await fetch(`${app.base}/dicomweb/studies?PatientName=${encodeURIComponent(name)}&PatientID=X`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await fetch(`${app.base}/dicomweb/studies?PatientName=${name}`, {
      headers: { authorization: 'Bearer garbage.x.y' },
    });
    const audit = await auditLines(app.log, 3);
    expect(audit).toHaveLength(3);
    expect(app.log.lines.filter((l) => l.msg === 'request')).toHaveLength(3);
    const everything = app.log.raw.join('');
    for (const secret of [token, token.split('.')[2]!, 'garbage.x.y']) expect(everything).not.toContain(secret);
    const ordinary = app.log.lines
      .filter((l) => l.log !== 'audit')
      .map((l) => JSON.stringify(l))
      .join('\n');
    for (const phi of ['Geheimnisvoll', encodeURIComponent(name), 'PatientName']) expect(ordinary).not.toContain(phi);
  });
});

describe('the HTTP layer with PACS_AUTH_MODE=none (the embedded default)', () => {
  it('lets everything through as the anonymous principal in partition 1, and still audits', async () => {
    const spans = new InMemorySpanExporter();
    const app = await start({ PACS_OTEL_TRACES_EXPORTER: 'none' }, spans);
    try {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const response = await fetch(`${app.base}/dicomweb/studies`, { headers: { traceparent } });
      expect(await response.json()).toEqual({ partitionId: 1, subject: 'anonymous' });
      expect((await fetch(`${app.base}/dicomweb/studies`, { method: 'POST' })).status).toBe(201);
      const audit = await auditLines(app.log, 2);
      expect(audit.map((a) => [a.ActiveParticipant[0].UserID, a.pacs.action])).toEqual([
        ['anonymous', 'search'],
        ['anonymous', 'store'],
      ]);
      // A server span per request, named by the route template, child of the caller's traceparent.
      const [span] = spans.getFinishedSpans();
      expect(span!.name).toBe('GET /dicomweb/studies');
      expect(span!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(span!.attributes).toMatchObject({ 'http.route': '/dicomweb/studies', 'http.response.status_code': 200 });
      expect(audit[0]!.pacs.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(audit.map((a) => a.pacs.aborted)).toEqual([false, false]);
      // Injected requests (the tests of other libs) are audited as complete too.
      await app.app.inject({ method: 'GET', url: '/dicomweb/studies/1.2/metadata' });
      const [, , injected] = await auditLines(app.log, 3);
      expect(injected!.pacs).toMatchObject({ status: 200, aborted: false });
    } finally {
      await app.close();
    }
  });
});
