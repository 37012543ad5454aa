// The hl7 and worklist features end to end, in one process composed as the all-in-one is (STOW-RS, the
// index and QIDO-RS, WADO-RS, hl7, worklist) over the real servers of scripts/test-env (PostgreSQL, Kafka,
// S3), driven by HL7 implementations we did not write: python-hl7's MLLP client sends ADT, orders and the
// bad-input corpus; hl7apy's MLLP server plays the RIS that receives ORU^R01 (and validates it strictly);
// pydicom reads the instances WADO-RS sends after an ADT update. All pinned in scripts/test-env/requirements.txt.
import { Topic, topicName, topicPartitions, topics, type EventBus, type ReceivedMessage } from '@pacs/bus';
import {
  decodePatientsMerged,
  decodePatientUpdated,
  encodeInstanceIndexed,
  eventHeaders,
  IndexOutcome,
  InstanceIndexedSchema,
} from '@pacs/contracts';
import { SopClassUid, Tag, TransferSyntaxUid, writePart10 } from '@pacs/dicom';
import { findInstances, writeInstances, type IndexDatabase } from '@pacs/index';
import { QidoFeature } from '@pacs/qido';
import { BLOB_STORE, createApp, EVENT_BUS, INDEX_DATABASE, type App } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { WorklistFeature } from '@pacs/worklist';
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buffer } from 'node:stream/consumers';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { makeCtSeries } from '../../../conformance/support/fixtures';
import { splitMultipart, stow } from '../../../conformance/support/http';
import { freePort } from '../../../scripts/cluster/cluster';
import { adtA08, adtA40, ormO01, srReport } from '../fixtures/messages';
import { Hl7Feature } from './hl7.module';
import { Hl7Repository } from './hl7-repository';
import { MllpListener } from './mllp-listener';

const pythonDir = join(__dirname, '../fixtures/python');
const run = `h${process.pid}x${Date.now()}`;

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: process.env.PACS_DATABASE_URL! });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Ack {
  msa1: string;
  msa2: string;
  err: string;
  case?: string;
}

/** python-hl7's MLLPClient: sends messages over one connection, returns the ACKs as it parsed them. */
function pythonSend(port: number, args: string[], input = ''): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'python3',
      [join(pythonDir, 'hl7_client.py'), ...args.slice(0, 1), String(port), ...args.slice(1)],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}: ${stderr}`));
        else
          resolve(
            stdout
              .trim()
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as Ack),
          );
      },
    );
    child.stdin?.end(input);
  });
}
const sendMessages = (port: number, messages: string[], encoding = 'utf-8'): Promise<Ack[]> =>
  pythonSend(port, ['send', encoding], messages.map((m) => m.split('\r').join('\n')).join('\n----\n'));

/** hl7apy's MLLPServer on a given port, as the RIS receiving ORU^R01. */
class OruReceiver {
  readonly received: Record<string, unknown>[] = [];
  private child?: ChildProcessWithoutNullStreams;

  async start(port: number): Promise<void> {
    const child = spawn('python3', [join(pythonDir, 'oru_receiver.py'), String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`oru_receiver.py did not start: ${stderr}`)), 20_000);
      child.once('exit', (code) => reject(new Error(`oru_receiver.py exited with ${code}: ${stderr}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('PORT ')) {
          clearTimeout(timer);
          resolve();
        } else this.received.push(JSON.parse(line) as Record<string, unknown>);
      });
    });
  }

  stop(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

/** A Part 10 file of a data set (Explicit VR Little Endian). */
const part10 = async (dataset: Parameters<typeof writePart10>[0]['dataset']): Promise<Uint8Array> =>
  buffer(writePart10({ dataset, transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian }));

/** What pydicom reads in a Part 10 file: the Patient module and a hash of the pixel data. */
interface PydicomView {
  name: string;
  id: string;
  issuer: string | null;
  birthDate: string;
  pixels: string;
}
function pydicomView(path: string): PydicomView {
  const script = [
    'import hashlib, json, sys, pydicom',
    'ds = pydicom.dcmread(sys.argv[1])',
    "print(json.dumps({'name': str(ds.PatientName), 'id': ds.PatientID, 'issuer': ds.get('IssuerOfPatientID'),",
    "  'birthDate': ds.PatientBirthDate, 'pixels': hashlib.sha256(ds.PixelData).hexdigest()}))",
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as PydicomView;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
type Json = Record<string, { Value?: unknown[] }>;
const nameIn = (d: Json | undefined): string | undefined =>
  (d?.[Tag.PatientName]?.Value?.[0] as { Alphabetic?: string } | undefined)?.Alphabetic;

/** What the patient scenario needs of a running archive. */
interface Archive {
  base: string;
  mllpPort: number;
  app: App;
  auditPath: string;
  id: (prefix: string) => string;
}

/**
 * ADT^A08 over MLLP (python-hl7) → QIDO-RS and WADO-RS show the new name, the stored originals keep their
 * SHA-256 in the blob store, the audit trail names the coercion; then ADT^A40 → the merged patient's study is
 * the survivor's in QIDO-RS and its metadata carries the survivor's Patient ID.
 */
async function patientScenario(a: Archive): Promise<void> {
  const patientId = a.id('Q');
  const instances = makeCtSeries({ count: 2, 'patient-id': patientId, 'patient-name': 'OLDNAME^OTTO' });
  expect(
    (
      await stow(
        `${a.base}/studies`,
        instances.map((i) => ({ path: i.path })),
      )
    ).status,
  ).toBe(200);
  const [first] = instances;
  const seriesUrl = `${a.base}/studies/${first!.study}/series/${first!.series}`;
  const before = await fetch(`${seriesUrl}/metadata`);
  expect(nameIn(((await before.json()) as Json[])[0])).toBe('OLDNAME^OTTO');

  const [ack] = await sendMessages(a.mllpPort, [
    adtA08(a.id('A08-'), { id: patientId, issuer: '', name: 'NEWNAME^OTTO', birthDate: '19810203' }),
  ]);
  expect(ack!.msa1).toBe('AA');
  await waitFor('QIDO-RS with the new name', async () => {
    const res = await fetch(`${a.base}/studies?PatientID=${patientId}`, {
      headers: { accept: 'application/dicom+json' },
    });
    const [study] = (await res.json()) as Json[];
    return nameIn(study) === 'NEWNAME^OTTO' || undefined;
  });

  // WADO-RS metadata: the series (a new ETag: no cache keeps the old name) and each instance.
  const after = await fetch(`${seriesUrl}/metadata`);
  const metadata = (await after.json()) as Json[];
  expect(metadata.map(nameIn)).toEqual(['NEWNAME^OTTO', 'NEWNAME^OTTO']);
  expect(metadata[0]![Tag.PatientBirthDate]!.Value).toEqual(['19810203']);
  expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
  const [instanceMetadata] = (await (await fetch(`${seriesUrl}/instances/${first!.sop}/metadata`)).json()) as Json[];
  expect(nameIn(instanceMetadata)).toBe('NEWNAME^OTTO');

  // WADO-RS instance, read by pydicom: the new name, the original's pixel data.
  const retrieved = await fetch(`${seriesUrl}/instances/${first!.sop}`, {
    headers: { accept: 'application/dicom; transfer-syntax=*' },
  });
  expect(retrieved.status).toBe(200);
  const sentPath = join(mkdtempSync(join(tmpdir(), 'pacs-hl7-wado-')), 'sent.dcm');
  writeFileSync(sentPath, Buffer.from(await retrieved.arrayBuffer()));
  const [sent, original] = [pydicomView(sentPath), pydicomView(first!.path)];
  expect(sent).toMatchObject({ name: 'NEWNAME^OTTO', id: patientId, birthDate: '19810203' });
  expect(original.name).toBe('OLDNAME^OTTO');
  expect(sent.pixels).toBe(original.pixels);

  // The originals, read straight from the blob store, are the files stored: same SHA-256 as at STOW-RS.
  const db = a.app.app.get<IndexDatabase>(INDEX_DATABASE);
  const blobs = a.app.app.get<BlobStore>(BLOB_STORE);
  const rows = await findInstances(db.sql, { partitionId: 1, studyUid: first!.study });
  expect(rows).toHaveLength(2);
  for (const row of rows) {
    const file = instances.find((i) => i.sop === row.sopUid)!;
    expect(sha256(await buffer(await blobs.get(row.blobKey)))).toBe(file.sha256);
    expect(row.sha256).toBe(file.sha256);
  }

  // The audit trail names the coercion of that retrieve: the instance, the attributes (tags), the version.
  const audit = await waitFor('the audit record of the coerced retrieve', () => {
    if (!existsSync(a.auditPath)) return undefined;
    return readFileSync(a.auditPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            pacs: {
              route: string;
              coercion?: { patientRecordVersion: number; coerced: { tags: string[]; SOPInstanceUIDs: string[] }[] };
            };
          },
      )
      .find(
        (r) => r.pacs.route.endsWith(':instance') && r.pacs.coercion?.coerced[0]?.SOPInstanceUIDs.includes(first!.sop),
      );
  });
  expect(audit.pacs.coercion!.coerced[0]!.tags).toEqual(
    expect.arrayContaining([Tag.PatientName, Tag.PatientBirthDate]),
  );
  expect(audit.pacs.coercion!.patientRecordVersion).toBeGreaterThan(1);

  // ADT^A40: another patient's study moves to this one.
  const mergedId = a.id('M');
  const [other] = makeCtSeries({ count: 1, 'patient-id': mergedId, 'patient-name': 'OTHER^MIA' });
  expect((await stow(`${a.base}/studies`, [{ path: other!.path }])).status).toBe(200);
  const [mergeAck] = await sendMessages(a.mllpPort, [adtA40(a.id('A40-'), patientId, mergedId, '')]);
  expect(mergeAck!.msa1).toBe('AA');
  await waitFor('the merged study under the surviving patient in QIDO-RS', async () => {
    const res = await fetch(`${a.base}/studies?PatientID=${patientId}`, {
      headers: { accept: 'application/dicom+json' },
    });
    const studies = (await res.json()) as Json[];
    return studies.some((s) => s[Tag.StudyInstanceUID]?.Value?.[0] === other!.study) || undefined;
  });
  const none = await fetch(`${a.base}/studies?PatientID=${mergedId}`, {
    headers: { accept: 'application/dicom+json' },
  });
  expect(none.status === 204 ? [] : await none.json()).toEqual([]);
  const [moved] = (await (await fetch(`${a.base}/studies/${other!.study}/metadata`)).json()) as Json[];
  expect(moved![Tag.PatientID]!.Value).toEqual([patientId]);
  expect(nameIn(moved)).toBe('NEWNAME^OTTO');
  const movedInstance = await fetch(`${a.base}/studies/${other!.study}`, {
    headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
  });
  const [part] = splitMultipart(
    Buffer.from(await movedInstance.arrayBuffer()),
    movedInstance.headers.get('content-type')!,
  );
  writeFileSync(sentPath, part!.body);
  expect(pydicomView(sentPath)).toMatchObject({
    id: patientId,
    name: 'NEWNAME^OTTO',
    pixels: pydicomView(other!.path).pixels,
  });
}

describe('hl7 + worklist end to end (PostgreSQL, Kafka, S3; python-hl7 and hl7apy)', () => {
  const database = `pacs_hl7_${run}`;
  const auditPath = join(mkdtempSync(join(tmpdir(), 'pacs-hl7-audit-')), 'audit.log');
  let httpPort: number;
  let peerPort: number;
  let created: App | undefined;
  let mllpPort: number;
  const observed: ReceivedMessage[] = [];
  const receiver = new OruReceiver();
  let seq = 0;
  const id = (prefix: string): string => `${prefix}${run.slice(-6)}${++seq}`;
  const base = (): string => `http://127.0.0.1:${httpPort}/dicomweb`;

  const overrides = (extra: Record<string, string> = {}): Record<string, string> => {
    const url = new URL(process.env.PACS_DATABASE_URL!);
    url.pathname = `/${database}`;
    return {
      PACS_LOG_LEVEL: process.env.PACS_TEST_LOG_LEVEL ?? 'silent',
      PACS_INDEX: 'postgres',
      PACS_DATABASE_URL: url.toString(),
      PACS_BUS: 'kafka',
      PACS_KAFKA_BROKERS: process.env.PACS_KAFKA_BROKERS!,
      PACS_KAFKA_TOPIC_PREFIX: `${run}.`,
      PACS_STORAGE: 's3',
      PACS_S3_ENDPOINT: process.env.PACS_S3_ENDPOINT!,
      PACS_S3_REGION: process.env.PACS_S3_REGION!,
      PACS_S3_BUCKET: process.env.PACS_S3_BUCKET!,
      PACS_S3_ACCESS_KEY_ID: process.env.PACS_S3_ACCESS_KEY_ID!,
      PACS_S3_SECRET_ACCESS_KEY: process.env.PACS_S3_SECRET_ACCESS_KEY!,
      PACS_HTTP_PORT: String(httpPort),
      PACS_HL7_MLLP_PORT: '0',
      PACS_HL7_OUTBOUND_HOST: '127.0.0.1',
      PACS_HL7_OUTBOUND_PORT: String(peerPort),
      PACS_HL7_ACK_TIMEOUT_MS: '3000',
      PACS_OUTBOX_POLL_MS: '200',
      PACS_OUTBOX_INITIAL_BACKOFF_MS: '200',
      PACS_OUTBOX_MAX_BACKOFF_MS: '1000',
      PACS_HL7_UPS_POLL_MS: '0',
      PACS_PRIORS_PREFETCH_COUNT: '0',
      PACS_DICOMWEB_INTERNAL_URL: `http://127.0.0.1:${httpPort}/dicomweb`,
      PACS_AUDIT_LOG: auditPath,
      ...extra,
    };
  };

  const start = async (): Promise<void> => {
    created = await createApp({
      name: 'pacs',
      features: [StowFeature, QidoFeature, WadoFeature, Hl7Feature, WorklistFeature],
      env: {},
      overrides: overrides(),
    });
    await created.app.listen(httpPort, '127.0.0.1');
    mllpPort = created.app.get(MllpListener).address.port;
  };

  beforeAll(async () => {
    execFileSync('python3', ['-c', 'import hl7, hl7apy'], { stdio: 'pipe' });
    await admin(`CREATE DATABASE ${database}`);
    // The topics of this run, with their leaders elected, before the features subscribe: STOW-RS's
    // broadcast reads partition ends at start-up, which fails on a topic created that very moment.
    const kafka = new Kafka({ brokers: process.env.PACS_KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    // A broker that has just started may still be electing leaders: ask again until the topics have them.
    for (let attempt = 1; ; attempt++) {
      try {
        await kafkaAdmin.createTopics({
          waitForLeaders: true,
          topics: topics.map((t) => ({ topic: topicName(`${run}.`, t), numPartitions: topicPartitions[t] })),
        });
        await kafkaAdmin.fetchTopicOffsets(topicName(`${run}.`, topics[0]!));
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await kafkaAdmin.disconnect();
    httpPort = await freePort();
    peerPort = await freePort();
    await start();
    const bus = created!.app.get<EventBus>(EVENT_BUS);
    for (const topic of [Topic.PatientUpdated, Topic.PatientsMerged]) {
      await bus.subscribe({
        topic,
        group: `test-observer-${topic}`,
        handler: async (batch) => void observed.push(...batch),
      });
    }
  }, 120_000);

  afterAll(async () => {
    receiver.stop();
    await created?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }, 60_000);

  it('python-hl7 sends ADT^A08: AA once patient.updated with the new name is on Kafka', async () => {
    const patientId = id('P');
    const controlId = id('A08-');
    const [ack] = await sendMessages(mllpPort, [adtA08(controlId, { id: patientId, name: 'NEWNAME^ANNA', sex: 'F' })]);
    expect(ack).toMatchObject({ msa1: 'AA', msa2: controlId });
    const message = await waitFor('patient.updated', () => observed.find((m) => m.key === `HOSP|${patientId}`));
    const event = decodePatientUpdated(message.value, message.headers);
    const module = JSON.parse(Buffer.from(event.patientModuleJson).toString('utf8'));
    expect(module[Tag.PatientName]).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'NEWNAME^ANNA' }] });
    expect(module[Tag.PatientSex]).toEqual({ vr: 'CS', Value: ['F'] });
  });

  it('python-hl7 sends ADT^A40: AA once patients.merged is on Kafka', async () => {
    const [surviving, merged] = [id('S'), id('M')];
    const [ack] = await sendMessages(mllpPort, [adtA40(id('A40-'), surviving, merged)]);
    expect(ack!.msa1).toBe('AA');
    const message = await waitFor('patients.merged', () => observed.find((m) => m.key === `HOSP|${surviving}`));
    const event = decodePatientsMerged(message.value, message.headers);
    expect([event.surviving?.patientId, event.merged?.patientId]).toEqual([surviving, merged]);
  });

  it('ADT^A08 → QIDO-RS and WADO-RS show the new name, the originals keep their SHA-256, the coercion is audited; A40 re-homes', async () => {
    await patientScenario({ base: base(), mllpPort, app: created!, auditPath, id });
  });

  it('python-hl7 sends ORM^O01 and OMI^O23: the workitems are searchable through UPS-RS', async () => {
    const n = id('');
    const ids = {
      placer: `PLC${n}`,
      filler: `FIL${n}`,
      accession: `ACC${n}`,
      requestedProcedureId: `RP${n}`,
      spsId: `SPS${n}`,
      studyUid: `1.2.826.0.1.3680043.8.498.1${n.replace(/\D/g, '')}`,
      patientId: `PAT${n}`,
      modality: 'MR',
      station: `MRAE${n.slice(-4)}`,
    };
    const omi = [
      'MSH|^~\\&|RIS|RADIOLOGY|PACS|RADIOLOGY|20240301120000||OMI^O23^OMI_O23|OMI' + n + '|P|2.5.1||||||UNICODE UTF-8',
      `PID|||${ids.patientId}^^^HOSP&1.2.3.4&ISO^PI||YAMADA^TARO^^^^^L^A~山田^太郎^^^^^L^I||19800215|M`,
      'PV1||O',
      `ORC|NW|OMIPLC${n}|OMIFIL${n}||SC`,
      'TQ1|1||||||20240306101500|20240306110000|S^Stat^HL70078',
      'OBR|1|OMIPLC' + n + '|OMIFIL' + n + '|MRBRAIN^MR Brain^L',
      `IPC|OMIACC${n}^HOSP^1.2.3.4^ISO|OMIRP${n}|${ids.studyUid}9|OMISPS${n}|MR|PROT1^Brain protocol^L|MR_SCANNER_1|ROOM 3|${ids.station}`,
    ].join('\r');
    const acks = await sendMessages(mllpPort, [ormO01(id('ORM-'), ids, 'NW', 'SC', '20240305083000'), omi]);
    expect(acks.map((a) => a.msa1)).toEqual(['AA', 'AA']);

    const search = async (query: string): Promise<Record<string, { Value?: unknown[] }>[]> => {
      const res = await fetch(`${base()}/workitems?${query}`, { headers: { accept: 'application/dicom+json' } });
      return res.status === 204 ? [] : ((await res.json()) as Record<string, { Value?: unknown[] }>[]);
    };
    const byModality = await search(
      `ScheduledStationClassCodeSequence.CodeValue=MR&ScheduledProcedureStepStartDateTime=20240305-20240306&ProcedureStepState=SCHEDULED&PatientID=${ids.patientId}`,
    );
    // Both orders are MR for this patient; ordered by scheduled start (ORM 5 March, OMI 6 March).
    expect(byModality.map((w) => w[Tag.PatientName]?.Value?.[0])).toEqual([
      { Alphabetic: 'MUELLER^HANS^^DR' },
      { Alphabetic: 'YAMADA^TARO', Ideographic: '山田^太郎' },
    ]);
    const byStation = await search(`ScheduledStationNameCodeSequence.CodeValue=${ids.station}`);
    expect(byStation).toHaveLength(2);
    const stat = await search(
      `ScheduledProcedureStepPriority=HIGH&ScheduledStationNameCodeSequence.CodeValue=${ids.station}`,
    );
    expect(
      stat.map(
        (w) =>
          (w[Tag.ReferencedRequestSequence]?.Value?.[0] as Record<string, { Value: unknown[] }>)[Tag.AccessionNumber]!
            .Value[0],
      ),
    ).toEqual(expect.arrayContaining([`OMIACC${n}`]));
  });

  it('an SR indexed and announced on Kafka reaches hl7apy as ORU^R01 — also when the RIS was down and the PACS restarted meanwhile', async () => {
    const n = id('').replace(/\D/g, '');
    const uids = {
      study: `1.2.826.0.1.3680043.8.498.71${n}`,
      series: `1.2.826.0.1.3680043.8.498.81${n}`,
      sop: `1.2.826.0.1.3680043.8.498.91${n}`,
    };
    // Indexed in PostgreSQL and announced on Kafka as the index owner does it (STOW-RS → index → ORU runs
    // in the embedded suite below): this test is about the outbox across a RIS outage and a restart.
    const db = created!.app.get<IndexDatabase>(INDEX_DATABASE);
    await writeInstances(db.sql, [
      {
        partitionId: 1,
        ingestId: `ingest-${n}`,
        studyUid: uids.study,
        seriesUid: uids.series,
        sopUid: uids.sop,
        sopClassUid: SopClassUid.BasicTextSRStorage,
        transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian,
        blobKey: `hl7-test/${n}`,
        size: 1,
        sha256: '0'.repeat(64),
        dataset: srReport(uids, { id: `PAT${n}`, name: 'Müller^Hans' }),
      },
    ]);
    await created!.app.get<EventBus>(EVENT_BUS).publish([
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

    // The RIS is down: the ORU waits in the outbox, tried again and again.
    const key = `oru|127.0.0.1:${peerPort}|${uids.sop}`;
    await waitFor(
      'two failed attempts',
      async () => {
        const state = await created!.app.get(Hl7Repository).store.outboxState(key);
        return state && state.attempts >= 2 && !state.delivered ? state : undefined;
      },
      90_000,
    );

    // The PACS restarts while the ORU is still pending: the outbox is in PostgreSQL.
    await created!.close();
    await start();

    await receiver.start(peerPort);
    const oru = await waitFor('the ORU at hl7apy', () =>
      receiver.received.find((m) =>
        (m.obx as string[][]).some(([code, value]) => code.startsWith('113014') && value === uids.study),
      ),
    );
    expect(oru).toMatchObject({
      type: 'ORU^R01^ORU_R01',
      patientName: 'Müller^Hans',
      accession: 'ACC-SR-1',
      resultStatus: 'F',
      valid: true,
    });
    const text = (oru.obx as string[][]).map(([, value]) => value).join('\n');
    expect(text).toContain('No acute intracranial abnormality');
    await waitFor('delivered', async () => (await created!.app.get(Hl7Repository).store.outboxState(key))?.delivered);
  });

  it('answers the bad-input corpus with NAKs over one python-hl7 connection, and keeps serving', async () => {
    const acks = await pythonSend(mllpPort, ['corpus']);
    const byCase = Object.fromEntries(acks.map((a) => [a.case, a]));
    for (const name of [
      'truncated-msh',
      'wrong-encoding-characters',
      'field-separator-is-letter',
      'missing-msh-9',
      'missing-msh-10',
      'missing-msh-12',
      'not-hl7',
      'no-msh',
      'invalid-utf8',
      'ten-megabytes',
    ]) {
      expect({ name, msa1: byCase[name]?.msa1 }).toEqual({ name, msa1: 'AR' });
    }
    expect(byCase['ten-megabytes']).toMatchObject({ msa2: 'BIG1', err: '207' });
    expect(byCase['missing-msh-10']?.err).toBe('101');
    // A message whose PID is cut is read, and refused by the application: no identifier.
    expect(byCase['truncated-segment']).toMatchObject({ msa1: 'AE', msa2: 'TRUNC1', err: '101' });
    expect(byCase['garbage-then-good']).toMatchObject({ msa1: 'AA', msa2: 'AFTERGARBAGE' });
    expect(byCase['cut-frame-then-good']).toMatchObject({ msa1: 'AA', msa2: 'AFTERCUT' });
    expect(byCase.good).toMatchObject({ msa1: 'AA', msa2: 'LAST' });
    // A new connection is served as before.
    const [after] = await sendMessages(mllpPort, [adtA08(id('AFTER-'), { id: id('P'), name: 'STILL^HERE' })]);
    expect(after!.msa1).toBe('AA');
  });

  it('answers AE while the bus cannot be reached, so that the sender tries again', async () => {
    const deadPort = await freePort();
    const other = await createApp({
      name: 'hl7',
      features: [Hl7Feature, WorklistFeature],
      env: {},
      overrides: overrides({
        PACS_KAFKA_BROKERS: `127.0.0.1:${deadPort}`,
        PACS_HTTP_PORT: String(await freePort()),
        PACS_HL7_OUTBOUND_HOST: '',
      }),
    });
    try {
      const port = other.app.get(MllpListener).address.port;
      const [ack] = await sendMessages(port, [adtA08(id('DOWN-'), { id: id('P'), name: 'BUS^DOWN' })]);
      expect(ack).toMatchObject({ msa1: 'AE', err: '207' });
    } finally {
      await other.close();
    }
  });
});

describe('hl7 + worklist end to end, embedded (PGlite, in-process bus; python-hl7 and hl7apy)', () => {
  let created: App;
  let dataDir: string;
  let auditPath: string;
  let httpPort: number;
  let peerPort: number;
  let mllpPort: number;
  const receiver = new OruReceiver();
  let seq = 0;
  const id = (prefix: string): string => `${prefix}E${run.slice(-5)}${++seq}`;
  const base = (): string => `http://127.0.0.1:${httpPort}/dicomweb`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pacs-hl7-e2e-'));
    auditPath = join(dataDir, 'audit.log');
    httpPort = await freePort();
    peerPort = await freePort();
    created = await createApp({
      name: 'pacs',
      features: [StowFeature, QidoFeature, WadoFeature, Hl7Feature, WorklistFeature],
      env: {},
      overrides: {
        PACS_DATA_DIR: dataDir,
        PACS_LOG_LEVEL: process.env.PACS_TEST_LOG_LEVEL ?? 'silent',
        PACS_HTTP_PORT: String(httpPort),
        PACS_HL7_MLLP_PORT: '0',
        PACS_HL7_OUTBOUND_HOST: '127.0.0.1',
        PACS_HL7_OUTBOUND_PORT: String(peerPort),
        PACS_OUTBOX_POLL_MS: '200',
        PACS_OUTBOX_INITIAL_BACKOFF_MS: '200',
        PACS_OUTBOX_MAX_BACKOFF_MS: '1000',
        PACS_HL7_UPS_POLL_MS: '0',
        PACS_DICOMWEB_INTERNAL_URL: `http://127.0.0.1:${httpPort}/dicomweb`,
        PACS_AUDIT_LOG: auditPath,
      },
    });
    await created.app.listen(httpPort, '127.0.0.1');
    mllpPort = created.app.get(MllpListener).address.port;
  }, 120_000);

  afterAll(async () => {
    receiver.stop();
    await created?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an SR stored through STOW-RS reaches hl7apy as ORU^R01 after the RIS was down for a while', async () => {
    const n = id('').replace(/\D/g, '');
    const uids = {
      study: `1.2.826.0.1.3680043.8.498.72${n}`,
      series: `1.2.826.0.1.3680043.8.498.82${n}`,
      sop: `1.2.826.0.1.3680043.8.498.92${n}`,
    };
    const stored = await stow(`${base()}/studies`, [
      { bytes: await part10(srReport(uids, { id: `PAT${n}`, name: 'Müller^Hans' })) },
    ]);
    expect(stored.status).toBe(200);
    const key = `oru|127.0.0.1:${peerPort}|${uids.sop}`;
    await waitFor('two failed attempts', async () => {
      const state = await created.app.get(Hl7Repository).store.outboxState(key);
      return state && state.attempts >= 2 && !state.delivered ? state : undefined;
    });
    await receiver.start(peerPort);
    const oru = await waitFor('the ORU at hl7apy', () =>
      receiver.received.find((m) =>
        (m.obx as string[][]).some(([code, value]) => code.startsWith('113014') && value === uids.study),
      ),
    );
    expect(oru).toMatchObject({ type: 'ORU^R01^ORU_R01', patientName: 'Müller^Hans', resultStatus: 'F', valid: true });
  });

  it('ADT^A08 → QIDO-RS and WADO-RS show the new name, the originals keep their SHA-256, the coercion is audited; A40 re-homes', async () => {
    await patientScenario({ base: base(), mllpPort, app: created, auditPath, id });
  });
});
