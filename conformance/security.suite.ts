// Security promises (DESIGN.md §8) every deployment must keep with PACS_AUTH_MODE=jwt — the embedded process
// and the cluster behind its gateway run this same suite: nothing DICOMweb is reachable without a valid token,
// scopes decide what a token may do, partitions never see each other's studies, every access leaves exactly
// one audit record, and our own calls to the API (an HL7 order becoming a UPS workitem) pass with the token of
// the service client (client credentials grant at the issuer's token endpoint).
import { Tag } from '@pacs/dicom';
import { MllpClient } from '@pacs/hl7v2';
import { TestIssuer } from '../libs/auth/test/token-issuer';
import { ormO01 } from '../libs/hl7/fixtures/messages';
import { makeCtSeries, sha256, type GeneratedInstance } from './support/fixtures';
import { splitMultipart, stowBody, stowContentType } from './support/http';
import { Readable } from 'node:stream';

export interface SecureTarget {
  baseUrl: string;
  rootUrl: string;
  /** The audit records written so far, by every process of the target. */
  auditRecords(): Promise<Record<string, any>[]>;
  /** The ordinary log lines, when the target can show them (the embedded process). */
  logText?(): string;
  /** The MLLP port of its hl7 feature. */
  mllpPort: number;
  close(): Promise<void>;
}

/**
 * The settings of the target: issuer, audience, partitions radiology=1 / cardiology=2 by claim "tenant", and the
 * service client (registered with the issuer, acting in radiology: partition 1, where HL7 orders go). The
 * target says where the token endpoint is: discovered from the issuer, or PACS_SERVICE_TOKEN_URL.
 */
export interface SecuritySetup {
  issuer: TestIssuer;
  settings: Record<string, string>;
}

type Dataset = Record<string, { vr: string; Value?: unknown[] }>;

export function describeSecurity(name: string, start: (setup: SecuritySetup) => Promise<SecureTarget>): void {
  describe(`security: ${name}`, () => {
    const issuer = new TestIssuer();
    let target: SecureTarget;
    let series: GeneratedInstance[];
    const patientName = 'Vertraulich^Henriette';
    const patientId = `SEC-${process.pid}-${Date.now()}`;
    const token = (tenant: string, scope: string) => issuer.sign({ tenant, scope, sub: `${tenant}-user` });
    const serviceClient = { id: 'pacs-services', secret: `service-secret-${process.pid}` };
    issuer.registerClient(serviceClient.id, {
      secret: serviceClient.secret,
      scopes: ['dicomweb.read', 'dicomweb.write'],
      claims: { tenant: 'radiology' },
    });
    // Signed once the target started: serving the JWKS gives the issuer its URL (the iss claim).
    let radiology: string;
    let cardiology: string;
    let readOnly: string;

    const request = async (path: string, bearer?: string, init: RequestInit = {}) => {
      const response = await fetch(`${target.baseUrl}${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
      });
      return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
    };
    const stow = (bearer: string | undefined, instances: GeneratedInstance[]) =>
      request('/studies', bearer, {
        method: 'POST',
        headers: { 'content-type': stowContentType, accept: 'application/dicom+json' },
        body: Readable.toWeb(stowBody(instances)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
    const search = async (bearer: string, query: string) => {
      const response = await request(`/studies?${query}`, bearer);
      expect(response.status).toBe(200);
      return JSON.parse(response.body.toString() || '[]') as Dataset[];
    };

    beforeAll(async () => {
      target = await start({
        issuer,
        settings: {
          PACS_AUTH_MODE: 'jwt',
          PACS_OIDC_AUDIENCE: issuer.audience,
          PACS_AUTH_PARTITION_CLAIM: 'tenant',
          PACS_AUTH_PARTITIONS: 'radiology=1,cardiology=2',
          PACS_SERVICE_CLIENT_ID: serviceClient.id,
          PACS_SERVICE_CLIENT_SECRET: serviceClient.secret,
        },
      });
      radiology = token('radiology', 'dicomweb.read dicomweb.write');
      cardiology = token('cardiology', 'dicomweb.read dicomweb.write');
      readOnly = token('radiology', 'dicomweb.read');
      series = makeCtSeries({ count: 2, 'patient-id': patientId, 'patient-name': patientName });
    });
    afterAll(async () => {
      await target?.close();
      await issuer.close();
    });

    it('refuses every DICOMweb transaction without a token (401), and keeps the probes open', async () => {
      expect((await stow(undefined, series)).status).toBe(401);
      expect((await request(`/studies?PatientID=${patientId}`)).status).toBe(401);
      expect((await request(`/studies/${series[0]!.study}/metadata`)).status).toBe(401);
      expect((await request(`/studies?PatientID=${patientId}`, 'not.a.token')).status).toBe(401);
      const expired = issuer.sign({ tenant: 'radiology', scope: 'dicomweb.read' }, { expiresIn: -3600 });
      const refused = await request(`/studies?PatientID=${patientId}`, expired);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect((await fetch(`${target.rootUrl}/healthz`)).status).toBe(200);
    });

    it('refuses a store with a read-only token (403) and stores with a write token', async () => {
      const forbidden = await stow(readOnly, series);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('www-authenticate')).toContain('scope="dicomweb.write"');
      expect((await stow(radiology, series)).status).toBe(200);
      expect(await search(readOnly, `PatientID=${patientId}`)).toHaveLength(1);
    });

    it('keeps partitions apart: what radiology stored, cardiology can neither find nor retrieve', async () => {
      expect(await search(cardiology, `PatientID=${patientId}`)).toEqual([]);
      const path = `/studies/${series[0]!.study}/series/${series[0]!.series}/instances/${series[0]!.sop}`;
      const accept = { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' };
      expect((await request(path, cardiology, { headers: accept })).status).toBe(404);
      expect((await request(`/studies/${series[0]!.study}/metadata`, cardiology)).status).toBe(404);
      const own = await request(path, radiology, { headers: accept });
      expect(own.status).toBe(200);
      expect(sha256(splitMultipart(own.body, own.headers.get('content-type')!)[0]!.body)).toBe(series[0]!.sha256);
    });

    it('stores in the caller’s partition: the same instances stored by cardiology are its own copy', async () => {
      expect((await stow(cardiology, series.slice(0, 1))).status).toBe(200);
      const [theirs] = await search(cardiology, `PatientID=${patientId}`);
      expect(theirs![Tag.NumberOfStudyRelatedInstances]?.Value).toEqual([1]);
      const [ours] = await search(radiology, `PatientID=${patientId}`);
      expect(ours![Tag.NumberOfStudyRelatedInstances]?.Value).toEqual([2]);
      const [other] = makeCtSeries({ count: 1, 'patient-id': `${patientId}-C` });
      expect((await stow(cardiology, [other!])).status).toBe(200);
      expect(await search(cardiology, `PatientID=${patientId}-C`)).toHaveLength(1);
      expect(await search(radiology, `PatientID=${patientId}-C`)).toEqual([]);
    });

    it('writes one audit record per access, naming who, what and on which study', async () => {
      const before = (await target.auditRecords()).length;
      await request(`/studies/${series[0]!.study}/metadata`, radiology, { headers: { 'x-request-id': 'sec-audit-1' } });
      await request(`/studies?PatientName=${encodeURIComponent(patientName)}`, cardiology, {
        headers: { 'x-request-id': 'sec-audit-2' },
      });
      await request(`/studies/${series[0]!.study}/metadata`, undefined, { headers: { 'x-request-id': 'sec-audit-3' } });
      // Records of other requests (an earlier test's, finishing late) may interleave: look at these three only.
      const ours = (records: Record<string, any>[]) =>
        records.slice(before).filter((r) => /^sec-audit-\d$/.test(r.pacs?.requestId));
      let recent: Record<string, any>[] = [];
      for (let i = 0; i < 200 && recent.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
        recent = ours(await target.auditRecords());
      }
      expect(recent.map((r) => r.pacs.requestId).sort()).toEqual(['sec-audit-1', 'sec-audit-2', 'sec-audit-3']);
      const byId = Object.fromEntries(recent.map((r) => [r.pacs.requestId, r]));
      expect(byId['sec-audit-1']).toMatchObject({
        EventIdentification: { EventActionCode: 'R', EventOutcomeIndicator: 0 },
        ActiveParticipant: [{ UserID: 'radiology-user', UserIsRequestor: true }, { UserIsRequestor: false }],
        ParticipantObjectIdentification: [{ ParticipantObjectID: series[0]!.study }],
        pacs: { status: 200, partitionId: 1, route: '/dicomweb/studies/:study/metadata' },
      });
      expect(byId['sec-audit-2']).toMatchObject({
        EventIdentification: { EventActionCode: 'E' },
        pacs: { action: 'search', partitionId: 2 },
      });
      expect(byId['sec-audit-3']).toMatchObject({
        ActiveParticipant: [{ UserID: 'anonymous' }, {}],
        pacs: { status: 401 },
      });
    });

    it('turns an HL7 order into a UPS workitem: the hl7 feature calls UPS-RS with the service client’s token', async () => {
      const n = `${process.pid}${Date.now() % 1_000_000}`;
      const ids = {
        placer: `SECPLC${n}`,
        filler: `SECFIL${n}`,
        accession: `SECACC${n}`,
        requestedProcedureId: `SECRP${n}`,
        spsId: `SECSPS${n}`,
        studyUid: `1.2.826.0.1.3680043.8.498.77${n}`,
        patientId: `SECPAT${n}`,
      };
      const mllp = new MllpClient({ host: '127.0.0.1', port: target.mllpPort, maxAttempts: 1 });
      try {
        // ORM^O01 (IHE RAD-4), as a RIS sends it: AA only once the worklist created the workitem.
        const { code, text } = await mllp.send(ormO01(`SECORM${n}`, ids));
        expect([code, text]).toEqual(['AA', expect.stringMatching(/created/i)]);
      } finally {
        await mllp.close();
      }
      expect(issuer.tokenRequests).toContainEqual(expect.objectContaining({ clientId: serviceClient.id, status: 200 }));
      // The workitem is in partition 1: a radiology user finds it, cardiology does not.
      const workitems = async (bearer: string) => {
        const response = await request(`/workitems?PatientID=${ids.patientId}`, bearer, {
          headers: { accept: 'application/dicom+json' },
        });
        return response.status === 204 ? [] : (JSON.parse(response.body.toString()) as Dataset[]);
      };
      const [workitem, ...others] = await workitems(radiology);
      expect(others).toEqual([]);
      expect(workitem![Tag.ProcedureStepState]?.Value).toEqual(['SCHEDULED']);
      expect(workitem![Tag.StudyInstanceUID]?.Value).toEqual([ids.studyUid]);
      expect(await workitems(cardiology)).toEqual([]);
      // Audited like any access, with the service client as the requestor.
      let created: Record<string, any> | undefined;
      for (let i = 0; i < 200 && !created; i++) {
        created = (await target.auditRecords()).find(
          (r) => r.pacs?.method === 'POST' && r.pacs?.route === '/dicomweb/workitems' && r.pacs?.status === 201,
        );
        if (!created) await new Promise((r) => setTimeout(r, 50));
      }
      expect(created).toMatchObject({
        ActiveParticipant: [{ UserID: serviceClient.id, UserIsRequestor: true }, { UserIsRequestor: false }],
        pacs: { partitionId: 1 },
      });
    });

    it('never writes a token, nor a patient name of a query, to the ordinary log', async () => {
      if (!target.logText) return; // the cluster's processes log to their own stdout
      await stow(radiology, series);
      await search(radiology, `PatientName=${encodeURIComponent(patientName)}`);
      const log = target.logText();
      expect(log).toContain('"msg":"request"');
      expect(log).toContain('"msg":"service client: access token obtained"');
      expect(log).not.toContain(serviceClient.secret);
      for (const secret of [radiology, radiology.split('.')[2]!]) expect(log).not.toContain(secret);
      for (const phi of ['Vertraulich', encodeURIComponent('Vertraulich'), patientName]) expect(log).not.toContain(phi);
    });
  });
}
