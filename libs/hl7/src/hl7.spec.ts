// The hl7 feature in one process (createApp with the hl7 and worklist features, embedded PGlite in a
// temporary folder, the in-process bus), driven over real loopback sockets with the MLLP client and server
// of @pacs/hl7v2. Against implementations we did not write: hl7.integration-spec.ts.
import { Topic, type EventBus, type ReceivedMessage } from '@pacs/bus';
import {
  decodePatientsMerged,
  decodePatientUpdated,
  encodeInstanceIndexed,
  eventHeaders,
  IndexOutcome,
  InstanceIndexedSchema,
} from '@pacs/contracts';
import { SopClassUid, Tag } from '@pacs/dicom';
import { MllpClient, MllpServer, orderToProcedureStep, parseHl7, type Hl7Message } from '@pacs/hl7v2';
import { applyMigrations, writeInstances, type IndexDatabase } from '@pacs/index';
import { createApp, EVENT_BUS, INDEX_DATABASE, type App } from '@pacs/runtime';
import { WorklistFeature } from '@pacs/worklist';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../scripts/cluster/cluster';
import { adtA08, adtA40, ormO01, srReport, type OrderIds } from '../fixtures/messages';
import { Hl7Feature } from './hl7.module';
import { Hl7Repository } from './hl7-repository';
import { MllpListener } from './mllp-listener';
import { workitemUidOf } from './order-workitem';
import { OutboxWorker } from './outbox-worker';
import { UpsCompletionPoller } from './ups-completion.poller';

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('hl7 feature', () => {
  let created: App;
  let dataDir: string;
  let httpPort: number;
  let peerPort: number;
  let client: MllpClient;
  let bus: EventBus;
  const received: ReceivedMessage[] = [];
  let seq = 0;
  const id = (prefix: string): string => `${prefix}${process.pid % 1000}${++seq}`;
  const base = (): string => `http://127.0.0.1:${httpPort}/dicomweb`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pacs-hl7-'));
    httpPort = await freePort();
    peerPort = await freePort();
    created = await createApp({
      name: 'pacs',
      features: [Hl7Feature, WorklistFeature],
      env: {},
      overrides: {
        PACS_DATA_DIR: dataDir,
        PACS_LOG_LEVEL: 'silent',
        PACS_HTTP_PORT: String(httpPort),
        PACS_HL7_MLLP_PORT: '0',
        PACS_HL7_OUTBOUND_HOST: '127.0.0.1',
        PACS_HL7_OUTBOUND_PORT: String(peerPort),
        PACS_HL7_ACK_TIMEOUT_MS: '2000',
        PACS_OUTBOX_POLL_MS: '100',
        PACS_OUTBOX_INITIAL_BACKOFF_MS: '100',
        PACS_OUTBOX_MAX_BACKOFF_MS: '300',
        PACS_HL7_UPS_POLL_MS: '0',
        PACS_PRIORS_PREFETCH_COUNT: '0',
        PACS_PUBLIC_BASE_URL: 'https://pacs.example.org/dicomweb',
        PACS_DICOMWEB_INTERNAL_URL: `http://127.0.0.1:${httpPort}/dicomweb`,
      },
    });
    await created.app.listen(httpPort, '127.0.0.1');
    bus = created.app.get<EventBus>(EVENT_BUS);
    for (const topic of [Topic.PatientUpdated, Topic.PatientsMerged]) {
      await bus.subscribe({ topic, group: 'test', handler: async (batch) => void received.push(...batch) });
    }
    client = new MllpClient({ host: '127.0.0.1', port: created.app.get(MllpListener).address.port, maxAttempts: 1 });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await created?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = async (message: string): Promise<Hl7Message> => (await client.send(message)).ack;

  describe('ADT', () => {
    it('publishes patient.updated with the Patient module after an A08, and answers AA', async () => {
      const patientId = id('P');
      const controlId = id('A08-');
      const ack = await send(adtA08(controlId, { id: patientId, name: 'EVERYMAN^ADAM^A^III', birthDate: '19610615' }));
      expect(ack.get('MSA-1')).toBe('AA');
      expect(ack.get('MSA-2')).toBe(controlId);
      const message = await waitFor('patient.updated', () =>
        received.find((m) => m.topic === Topic.PatientUpdated && m.key === `HOSP|${patientId}`),
      );
      const event = decodePatientUpdated(message.value, message.headers);
      expect(event.patient).toMatchObject({ patientId, issuerOfPatientId: 'HOSP' });
      expect(event.source).toBe('hl7:ADT^A08');
      expect(event.eventId).toBe(`hl7:RIS^HOSP:${controlId}`);
      const module = JSON.parse(Buffer.from(event.patientModuleJson).toString('utf8'));
      expect(module[Tag.PatientName]).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'EVERYMAN^ADAM^A^^III' }] });
      expect(module[Tag.PatientBirthDate]).toEqual({ vr: 'DA', Value: ['19610615'] });
      expect(event.occurredAt).toBe(BigInt(Date.UTC(2024, 2, 1, 11, 59)));

      const store = created.app.get(Hl7Repository).store;
      const record = await store.patient({ partitionId: 1, patientId, issuer: 'HOSP' });
      expect(record?.attributes[Tag.PatientName]).toEqual(module[Tag.PatientName]);
      expect(await store.patientEvents({ partitionId: 1, patientId, issuer: 'HOSP' })).toEqual([
        { eventId: event.eventId, kind: 'updated', source: 'hl7:ADT^A08', published: true },
      ]);
    });

    it('accepts A01, A04 and A31 and keeps the newest demographics in the patient record', async () => {
      const patientId = id('P');
      for (const [trigger, name] of [
        ['A01', 'ONE^ADAM'],
        ['A04', 'FOUR^ADAM'],
        ['A31', 'THIRTYONE^ADAM'],
      ]) {
        expect((await send(adtA08(id(`${trigger}-`), { id: patientId, name }, trigger!))).get('MSA-1')).toBe('AA');
      }
      const record = await created.app.get(Hl7Repository).store.patient({ partitionId: 1, patientId, issuer: 'HOSP' });
      expect(record?.attributes[Tag.PatientName]).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'THIRTYONE^ADAM' }] });
    });

    it('publishes patients.merged after an A40', async () => {
      const [surviving, merged] = [id('S'), id('M')];
      const ack = await send(adtA40(id('A40-'), surviving, merged));
      expect(ack.get('MSA-1')).toBe('AA');
      const message = await waitFor('patients.merged', () =>
        received.find((m) => m.topic === Topic.PatientsMerged && m.key === `HOSP|${surviving}`),
      );
      const event = decodePatientsMerged(message.value, message.headers);
      expect(event.surviving).toMatchObject({ patientId: surviving, issuerOfPatientId: 'HOSP' });
      expect(event.merged).toMatchObject({ patientId: merged, issuerOfPatientId: 'HOSP' });
      expect(event.source).toBe('hl7:ADT^A40');
      const record = await created.app
        .get(Hl7Repository)
        .store.patient({ partitionId: 1, patientId: merged, issuer: 'HOSP' });
      expect(record?.mergedInto).toEqual({ patientId: surviving, issuer: 'HOSP' });
    });

    it('answers AR for an unsupported message type or event, and AE for an ADT without a PID identifier', async () => {
      const qry = await send('MSH|^~\\&|RIS|HOSP|PACS|RAD|2024||QRY^A19^QRY_A19|Q1|P|2.5.1\rQRD|1');
      expect([qry.get('MSA-1'), qry.get('ERR-3-1')]).toEqual(['AR', '200']);
      const a11 = await send(adtA08(id('A11-'), { id: 'X', name: 'A^B' }, 'A11'));
      expect([a11.get('MSA-1'), a11.get('ERR-3-1')]).toEqual(['AR', '201']);
      const noId = await send('MSH|^~\\&|RIS|HOSP|PACS|RAD|2024||ADT^A08^ADT_A01|NOID|P|2.5.1\rEVN|A08\rPID|||');
      expect([noId.get('MSA-1'), noId.get('ERR-3-1')]).toEqual(['AE', '101']);
      const training = await send(adtA08(id('T-'), { id: 'X', name: 'A^B' }).replace('|P|2.5.1', '|X|2.5.1'));
      expect([training.get('MSA-1'), training.get('ERR-3-1')]).toEqual(['AR', '202']);
    });
  });

  describe('orders → UPS workitems', () => {
    const order = (): OrderIds => {
      const n = id('');
      return {
        placer: `PLC${n}`,
        filler: `FIL${n}`,
        accession: `ACC${n}`,
        requestedProcedureId: `RP${n}`,
        spsId: `SPS${n}`,
        studyUid: `1.2.826.0.1.3680043.8.498.${n}`,
        patientId: `PAT${n}`,
      };
    };
    const workitemOf = async (ids: OrderIds): Promise<Record<string, { Value?: unknown[] }> | undefined> => {
      const uid = workitemUidOf(orderToProcedureStep(parseHl7(ormO01('X', ids))).steps[0]!);
      const res = await fetch(`${base()}/workitems/${uid}`, { headers: { accept: 'application/dicom+json' } });
      return res.status === 200 ? ((await res.json()) as Record<string, { Value?: unknown[] }>[])[0] : undefined;
    };
    const stateOf = async (ids: OrderIds) => (await workitemOf(ids))?.[Tag.ProcedureStepState]?.Value?.[0];

    it('creates a SCHEDULED workitem for ORM^O01 NW, searchable by modality and accession', async () => {
      const ids = order();
      const ack = await send(ormO01(id('ORM-'), ids));
      expect(ack.get('MSA-1')).toBe('AA');
      const ds = await workitemOf(ids);
      expect(ds?.[Tag.ProcedureStepState]?.Value).toEqual(['SCHEDULED']);
      expect(ds?.[Tag.PatientID]?.Value).toEqual([ids.patientId]);
      const res = await fetch(
        `${base()}/workitems?ScheduledStationClassCodeSequence.CodeValue=CT&ReferencedRequestSequence.AccessionNumber=${ids.accession}`,
      );
      expect(res.status).toBe(200);
      const found = (await res.json()) as Record<string, { Value: unknown[] }>[];
      expect(found).toHaveLength(1);
      expect(found[0]![Tag.ScheduledStationNameCodeSequence]!.Value[0]).toMatchObject({
        [Tag.CodeValue]: { Value: ['CT01AE'] },
      });
      // The same message again (a resend) changes nothing.
      expect((await send(ormO01(id('ORM-'), ids))).get('MSA-1')).toBe('AA');
    });

    it('cancels the workitem on ORC-1 CA', async () => {
      const ids = order();
      await send(ormO01(id('ORM-'), ids));
      expect((await send(ormO01(id('CA-'), ids, 'CA', 'CA'))).get('MSA-1')).toBe('AA');
      expect(await stateOf(ids)).toBe('CANCELED');
    });

    it('follows status changes: SC with IP → IN PROGRESS, then CM → COMPLETED', async () => {
      const ids = order();
      await send(ormO01(id('ORM-'), ids));
      expect((await send(ormO01(id('SC-'), ids, 'SC', 'IP'))).get('MSA-1')).toBe('AA');
      expect(await stateOf(ids)).toBe('IN PROGRESS');
      expect((await send(ormO01(id('SC-'), ids, 'SC', 'CM'))).get('MSA-1')).toBe('AA');
      expect(await stateOf(ids)).toBe('COMPLETED');
    });

    it('applies a change (XO) while SCHEDULED and refuses it with AE 206 once COMPLETED', async () => {
      const ids = order();
      await send(ormO01(id('ORM-'), ids));
      expect((await send(ormO01(id('XO-'), ids, 'XO', 'SC', '20240306100000'))).get('MSA-1')).toBe('AA');
      expect((await workitemOf(ids))?.[Tag.ScheduledProcedureStepStartDateTime]?.Value).toEqual(['20240306100000']);
      await send(ormO01(id('SC-'), ids, 'SC', 'CM'));
      const late = await send(ormO01(id('XO-'), ids, 'XO', 'SC', '20240307100000'));
      // v2.3.1: the code is ERR-1.4 (ELD), before v2.5's ERR-3.
      expect([late.get('MSA-1'), late.get('ERR-1-4')]).toEqual(['AE', '206']);
    });

    it('answers AE 204 for the cancellation of an unknown order', async () => {
      const ack = await send(ormO01(id('CA-'), order(), 'CA', 'CA'));
      expect([ack.get('MSA-1'), ack.get('ERR-1-4')]).toEqual(['AE', '204']);
    });
  });

  describe('reports → ORU^R01 through the outbox', () => {
    let peer: MllpServer | undefined;
    const delivered: Hl7Message[] = [];

    afterAll(async () => {
      await peer?.close(500);
    });

    const startPeer = async (): Promise<void> => {
      peer = new MllpServer({
        port: peerPort,
        handler: (m) => {
          delivered.push(m);
          return { code: 'AA' };
        },
      });
      await peer.listen();
    };

    type Uids = { study: string; series: string; sop: string };

    /** Announces an indexed instance on instance.indexed, as the index owner does after its commit. */
    const announce = (uids: Uids, n: string) =>
      bus.publish([
        {
          topic: Topic.InstanceIndexed,
          key: uids.study,
          value: encodeInstanceIndexed({
            partition: '1',
            studyInstanceUid: uids.study,
            seriesInstanceUid: uids.series,
            sopInstanceUid: uids.sop,
            ingestId: `ingest-${n}`,
            outcome: IndexOutcome.INDEXED,
            indexedAt: BigInt(Date.now()),
          }),
          headers: eventHeaders(InstanceIndexedSchema),
        },
      ]);

    /** Indexes an SR the way the index owner would, then announces it. */
    const indexReport = async (n: string): Promise<Uids> => {
      const db = created.app.get<IndexDatabase>(INDEX_DATABASE);
      await applyMigrations(db.sql);
      const uids = {
        study: `1.2.826.0.1.3680043.8.498.7${n}`,
        series: `1.2.826.0.1.3680043.8.498.8${n}`,
        sop: `1.2.826.0.1.3680043.8.498.9${n}`,
      };
      await writeInstances(db.sql, [
        {
          partitionId: 1,
          ingestId: `ingest-${n}`,
          studyUid: uids.study,
          seriesUid: uids.series,
          sopUid: uids.sop,
          sopClassUid: SopClassUid.BasicTextSRStorage,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          blobKey: `blob-${n}`,
          size: 1000,
          sha256: 'a'.repeat(64),
          dataset: srReport(uids, { id: `PAT${n}`, name: 'Müller^Hans' }),
        },
      ]);
      await announce(uids, n);
      return uids;
    };
    const studyOf = (m: Hl7Message): string | undefined =>
      m
        .segments('OBX')
        .find((obx) => obx.value(3) === '113014')
        ?.value(5);

    it('keeps the ORU in the outbox while the RIS is down and delivers it once it is back', async () => {
      const n = id('');
      const uids = await indexReport(n);
      const store = created.app.get(Hl7Repository).store;
      const key = `oru|127.0.0.1:${peerPort}|${uids.sop}`;
      // The RIS is down: the entry is queued and retried with backoff, never dropped.
      const failing = await waitFor('failed attempts', async () => {
        const s = await store.outboxState(key);
        return s && s.attempts >= 2 ? s : undefined;
      });
      expect(failing.delivered).toBe(false);
      expect(failing.lastError).toBeTruthy();
      await startPeer();
      const oru = await waitFor('the ORU', () => delivered.find((m) => studyOf(m) === uids.study));
      await waitFor('delivered', async () => (await store.outboxState(key))?.delivered);
      expect(oru.messageType).toMatchObject({ code: 'ORU', trigger: 'R01' });
      expect(oru.get('PID-3-1')).toBe(`PAT${n}`);
      expect(oru.get('PID-5-1')).toBe('Müller');
      expect(oru.get('OBR-18')).toBe('ACC-SR-1');
      expect(oru.get('OBR-25')).toBe('F');
      const text = oru
        .segments('OBX')
        .map((obx) => obx.value(5))
        .join('\n');
      expect(text).toContain('Finding: No acute intracranial abnormality.');
      expect(text).toContain('Normal CT of the head.');
      expect(text).toContain(`https://pacs.example.org/dicomweb/studies/${uids.study}`);
    });

    it('sends the report a workitem COMPLETED with references in its Output Information Sequence', async () => {
      if (!peer) await startPeer();
      const poller = created.app.get(UpsCompletionPoller);
      await poller.poll(); // the first poll only notes where to start
      const n = id('');
      const db = created.app.get<IndexDatabase>(INDEX_DATABASE);
      const uids = {
        study: `1.2.826.0.1.3680043.8.498.7${n}`,
        series: `1.2.826.0.1.3680043.8.498.8${n}`,
        sop: `1.2.826.0.1.3680043.8.498.9${n}`,
      };
      // Indexed without instance.indexed reaching this feature: only the workitem tells of it.
      await writeInstances(db.sql, [
        {
          partitionId: 1,
          ingestId: `ingest-${n}`,
          studyUid: uids.study,
          seriesUid: uids.series,
          sopUid: uids.sop,
          sopClassUid: SopClassUid.BasicTextSRStorage,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          blobKey: `blob-${n}`,
          size: 1000,
          sha256: 'b'.repeat(64),
          dataset: srReport(uids, { id: `PAT${n}`, name: 'Doe^Jane' }),
        },
      ]);
      const workitem = `1.2.826.0.1.3680043.8.498.6${n}`;
      const txn = `1.2.826.0.1.3680043.8.498.5${n}`;
      const call = (method: string, path: string, body: unknown) =>
        fetch(`${base()}/workitems${path}`, {
          method,
          headers: { 'content-type': 'application/dicom+json' },
          body: JSON.stringify([body]),
        });
      const create = await call('POST', `?${workitem}`, {
        [Tag.ProcedureStepState]: { vr: 'CS', Value: ['SCHEDULED'] },
        [Tag.ScheduledProcedureStepPriority]: { vr: 'CS', Value: ['MEDIUM'] },
        [Tag.ProcedureStepLabel]: { vr: 'LO', Value: ['Read CT head'] },
        [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['20240305090000'] },
        [Tag.InputReadinessState]: { vr: 'CS', Value: ['READY'] },
        [Tag.PatientID]: { vr: 'LO', Value: [`PAT${n}`] },
      });
      expect(create.status).toBe(201);
      expect(
        (
          await call('PUT', `/${workitem}/state`, {
            [Tag.ProcedureStepState]: { vr: 'CS', Value: ['IN PROGRESS'] },
            [Tag.TransactionUID]: { vr: 'UI', Value: [txn] },
          })
        ).status,
      ).toBe(200);
      const output = {
        [Tag.UnifiedProcedureStepPerformedProcedureSequence]: {
          vr: 'SQ',
          Value: [
            {
              [Tag.OutputInformationSequence]: {
                vr: 'SQ',
                Value: [
                  {
                    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [uids.study] },
                    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [uids.series] },
                    [Tag.ReferencedSOPSequence]: {
                      vr: 'SQ',
                      Value: [
                        {
                          [Tag.ReferencedSOPClassUID]: { vr: 'UI', Value: [SopClassUid.BasicTextSRStorage] },
                          [Tag.ReferencedSOPInstanceUID]: { vr: 'UI', Value: [uids.sop] },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          ],
        },
      };
      expect((await call('POST', `/${workitem}?${txn}`, output)).status).toBe(200);
      expect(
        (
          await call('PUT', `/${workitem}/state`, {
            [Tag.ProcedureStepState]: { vr: 'CS', Value: ['COMPLETED'] },
            [Tag.TransactionUID]: { vr: 'UI', Value: [txn] },
          })
        ).status,
      ).toBe(200);
      await poller.poll();
      const oru = await waitFor('the ORU', () => delivered.find((m) => studyOf(m) === uids.study));
      expect(oru.get('PID-5-1')).toBe('Doe');
    });

    it('sends each report once, even when its instance.indexed arrives twice', async () => {
      if (!peer) await startPeer();
      const n = id('');
      const uids = await indexReport(n);
      await announce(uids, n);
      const store = created.app.get(Hl7Repository).store;
      const key = `oru|127.0.0.1:${peerPort}|${uids.sop}`;
      await waitFor('delivered', async () => (await store.outboxState(key))?.delivered);
      await new Promise((r) => setTimeout(r, 300));
      await created.app.get(OutboxWorker).idle();
      expect(delivered.filter((m) => studyOf(m) === uids.study)).toHaveLength(1);
    });
  });

  // Last: it closes the bus of this process.
  it('answers AE (the sender tries again) when the bus is down, and AA is never given for an unpublished event', async () => {
    await bus.close();
    const ack = await send(adtA08(id('DOWN-'), { id: id('P'), name: 'DOWN^BUS' }));
    expect([ack.get('MSA-1'), ack.get('ERR-3-1')]).toEqual(['AE', '207']);
    expect(ack.get('ERR-8')).toMatch(/send the message again later/);
  });
});
