// The index owner in one process as the embedded PACS runs it (PGlite, the in-process bus): events in, QIDO-RS and
// the extended query tags resource out, every check over HTTP.
import { Topic, type BusMessage, type EventBus } from '@pacs/bus';
import { decodeInstanceIndexed } from '@pacs/contracts';
import { Tag } from '@pacs/dicom';
import { createApp, EVENT_BUS, type App } from '@pacs/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstanceStoredConsumer } from './instance-stored.consumer';
import { QidoFeature } from './qido.module';
import { instanceDeleted, instanceStored, patientsMerged, patientUpdated, type StoredInstance } from './testing/events';

jest.setTimeout(60_000);

let app: App;
let bus: EventBus;
let dataDir: string;
const indexed = new Set<string>();
const waiters: { sops: string[]; resolve: () => void }[] = [];

type Json = Record<string, { vr: string; Value?: unknown[] }>;

async function get(path: string): Promise<{ status: number; json: Json[] & Json; warning: string | undefined }> {
  const res = await app.app.inject({ method: 'GET', url: path });
  const warning = res.headers.warning;
  return {
    status: res.statusCode,
    json: res.body ? JSON.parse(res.body) : undefined,
    warning: Array.isArray(warning) ? warning.join(', ') : warning,
  };
}

/** Publishes instance.stored events and waits until the index answered every one with instance.indexed. */
async function store(instances: StoredInstance[]): Promise<void> {
  const sops = instances.map((i) => i.sop);
  const done = new Promise<void>((resolve) => waiters.push({ sops, resolve }));
  await bus.publish(instances.map((i) => i.message));
  await done;
}

/** Publishes events and waits until `check` holds (the index applies them asynchronously). */
async function publishAndWait(messages: BusMessage[], check: () => Promise<boolean>): Promise<void> {
  await bus.publish(messages);
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the index did not apply the events in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const values = (ds: Json | undefined, tag: string) => ds?.[tag]?.Value;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pacs-qido-'));
  app = await createApp({
    name: 'qido',
    features: [QidoFeature],
    env: {},
    overrides: { PACS_DATA_DIR: dataDir, PACS_LOG_LEVEL: 'warn', PACS_QIDO_MAX_LIMIT: '500' },
  });
  bus = app.app.get<EventBus>(EVENT_BUS);
  await bus.broadcast({
    topic: Topic.InstanceIndexed,
    handler: async (batch) => {
      for (const m of batch) indexed.add(decodeInstanceIndexed(m.value, m.headers).sopInstanceUid);
      for (const w of [...waiters]) {
        if (w.sops.every((s) => indexed.has(s))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
  });
});

afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the index owner on the in-process bus', () => {
  it('writes what arrives together in batches of up to 500 instances, one transaction each', async () => {
    const consumer = app.app.get(InstanceStoredConsumer);
    const handle = jest.spyOn(consumer, 'handle');
    const study = '2.25.900.1';
    await store(Array.from({ length: 1200 }, (_, n) => instanceStored({ study, series: `${study}.${n % 3}` })));
    expect(handle.mock.calls.map(([batch]) => batch.length)).toEqual([500, 500, 200]);
    handle.mockRestore();
    const [row] = (await get(`/dicomweb/studies?StudyInstanceUID=${study}`)).json;
    expect(values(row, Tag.NumberOfStudyRelatedInstances)).toEqual([1200]);
    expect(values(row, Tag.NumberOfStudyRelatedSeries)).toEqual([3]);
  });

  it('removes deleted instances (instance.deleted) and keeps the computed attributes right', async () => {
    const study = '2.25.900.2';
    const ct = instanceStored({ study, series: `${study}.1`, modality: 'CT' });
    const mr = instanceStored({ study, series: `${study}.2`, modality: 'MR' });
    await store([ct, mr]);
    const modalities = async () =>
      values((await get(`/dicomweb/studies?StudyInstanceUID=${study}`)).json[0], Tag.ModalitiesInStudy);
    expect(await modalities()).toEqual(['CT', 'MR']);
    await publishAndWait(
      [instanceDeleted(mr), instanceDeleted(mr)],
      async () => JSON.stringify(await modalities()) === '["CT"]',
    );
    await publishAndWait(
      [instanceDeleted(ct)],
      async () => (await get(`/dicomweb/studies?StudyInstanceUID=${study}`)).json.length === 0,
    );
  });

  it('shows new demographics after patient.updated, and moves studies after patients.merged', async () => {
    const a = instanceStored({ study: '2.25.900.3', patientId: 'HL7-A', patientName: 'Before^Anna' });
    const b = instanceStored({ study: '2.25.900.4', patientId: 'HL7-B', patientName: 'Other^Bea' });
    await store([a, b]);
    const module = { [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'After^Anna' }] } };
    await publishAndWait([patientUpdated('HL7-A', module, 10)], async () => {
      const [row] = (await get('/dicomweb/studies?PatientName=after^anna')).json;
      return row !== undefined && values(row, Tag.StudyInstanceUID)?.[0] === a.study;
    });
    await publishAndWait(
      [patientsMerged('HL7-A', 'HL7-B')],
      async () => (await get('/dicomweb/studies?PatientID=HL7-A')).json.length === 2,
    );
    const [moved] = (await get(`/dicomweb/studies?StudyInstanceUID=${b.study}`)).json;
    expect(values(moved, Tag.PatientName)).toEqual([{ Alphabetic: 'After^Anna' }]);
    expect((await get('/dicomweb/studies?PatientID=HL7-B')).json).toEqual([]);
  });
});

describe('QIDO-RS over HTTP', () => {
  const study1 = '2.25.901.1';
  const study2 = '2.25.901.2';
  beforeAll(async () => {
    await store([
      instanceStored({
        study: study1,
        patientId: 'Q-1',
        patientName: 'Müller^Jürgen',
        studyDate: '20240110',
        studyTime: '080000',
        attributes: { [Tag.TimezoneOffsetFromUTC]: { vr: 'SH', Value: ['+0100'] } },
      }),
      instanceStored({
        study: study2,
        patientId: 'Q-2',
        patientName: 'Other^Olga',
        modality: 'MR',
        studyDate: '20240111',
      }),
    ]);
  });
  const uids = (rows: Json[]) => rows.map((r) => values(r, Tag.StudyInstanceUID)![0]).sort();

  it('matches a list of modalities in ModalitiesInStudy (CT\\MR)', async () => {
    const both = `StudyInstanceUID=${study1},${study2}`;
    expect(uids((await get(`/dicomweb/studies?${both}&ModalitiesInStudy=CT%5CMR`)).json)).toEqual([study1, study2]);
    expect(uids((await get(`/dicomweb/studies?${both}&ModalitiesInStudy=MR`)).json)).toEqual([study2]);
  });

  it('reads dates and times in the offset of TimezoneOffsetFromUTC', async () => {
    // Study 1 was at 08:00 +01:00, 07:00 UTC.
    const at = (tz: string) =>
      `/dicomweb/studies?PatientID=Q-1&StudyDate=20240110&StudyTime=0630-0730&TimezoneOffsetFromUTC=${tz}`;
    expect(uids((await get(at('%2B0000'))).json)).toEqual([study1]);
    expect(uids((await get(at('-0100'))).json)).toEqual([]);
    expect(uids((await get('/dicomweb/studies?PatientID=Q-1&StudyDate=20240110&StudyTime=0630-0730')).json)).toEqual(
      [],
    );
  });

  it('matches names fuzzily, and returns what includefield asks for', async () => {
    const res = await get('/dicomweb/studies?PatientName=jur&fuzzymatching=true&includefield=StudyDescription');
    expect(uids(res.json)).toEqual([study1]);
    expect(values(res.json[0], Tag.StudyDescription)).toEqual(['CT Chest']);
    expect(values(res.json[0], Tag.TimezoneOffsetFromUTC)).toEqual(['+0100']);
  });

  it('cuts at the limit with a Warning, and lowers a limit above the maximum', async () => {
    const first = await get(`/dicomweb/studies?StudyInstanceUID=${study1},${study2}&limit=1`);
    expect(first.json).toHaveLength(1);
    expect(first.warning).toMatch(/^299 .*offset=1/);
    const clamped = await get(`/dicomweb/studies?StudyInstanceUID=${study1}&limit=100000`);
    expect(clamped.status).toBe(200);
    expect(clamped.warning).toMatch(/lowered to the maximum of 500/);
  });

  it.each([
    ['an unknown attribute', 'NotAKeyword=1', /Unknown attribute/],
    ['a bad date', 'StudyDate=2024-13-45', /not a date/],
    ['a reversed range', 'StudyDate=20240201-20240101', /ends before it starts/],
    ['a negative limit', 'limit=-1', /limit/],
    ['an absurdly long value', `PatientID=${'x'.repeat(5000)}`, /longer than/],
    ['an attribute the index cannot match', 'PatientComments=x', /not supported/],
    ['a series key at the study level', 'Modality=CT', /not supported at the study level/],
    ['a bad UTC offset', 'TimezoneOffsetFromUTC=%2B2500', /not a UTC offset/],
    [
      'a list with multiplevaluematching=false',
      'Modality=CT%5CMR&multiplevaluematching=false',
      /multiplevaluematching=false/,
    ],
    ['a private attribute not declared', '00091010=x', /Private attribute/],
    ['fuzzymatching that is not a boolean', 'fuzzymatching=yes', /true or false/],
  ])('answers 400 with a reason for %s', async (_label, query, reason) => {
    const res = await app.app.inject({ method: 'GET', url: `/dicomweb/studies?${query}` });
    expect(res.statusCode).toBe(400);
    expect(String(res.headers.warning)).toMatch(/^299 /);
    expect(JSON.parse(res.body).message).toMatch(reason);
  });
});

describe('extended query tags resource', () => {
  const study = '2.25.902.1';
  const post = (body: unknown) =>
    app.app.inject({
      method: 'POST',
      url: '/dicomweb/extended-query-tags',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  beforeAll(async () => {
    await store([
      instanceStored({
        study,
        attributes: {
          [Tag.PatientAge]: { vr: 'AS', Value: ['045Y'] },
          ['00091010']: { vr: 'LO', Value: ['vendor value'] },
        },
      }),
    ]);
  });
  afterAll(async () => {
    for (const path of ['00101010', '00091010']) {
      await app.app.inject({ method: 'DELETE', url: `/dicomweb/extended-query-tags/${path}` });
    }
  });

  it('declares tags (202), re-indexes in the background with progress, then matches on them', async () => {
    const res = await post([{ path: 'PatientAge' }, { path: '00091010', vr: 'LO', level: 'Instance' }]);
    expect(res.statusCode).toBe(202);
    const declared = JSON.parse(res.body);
    expect(declared).toMatchObject([
      { path: '00101010', keyword: 'PatientAge', vr: 'AS', level: 'study', status: 'reindexing', percent: 0 },
      { path: '00091010', keyword: '', vr: 'LO', level: 'instance', status: 'reindexing' },
    ]);
    expect(declared[0].url).toMatch(/\/dicomweb\/extended-query-tags\/00101010$/);

    const deadline = Date.now() + 20_000;
    for (;;) {
      const list = JSON.parse((await app.app.inject({ method: 'GET', url: '/dicomweb/extended-query-tags' })).body);
      if (list.every((t: { status: string; percent: number }) => t.status === 'ready' && t.percent === 100)) break;
      if (Date.now() > deadline) throw new Error(`not re-indexed in time: ${JSON.stringify(list)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const one = JSON.parse(
      (await app.app.inject({ method: 'GET', url: '/dicomweb/extended-query-tags/PatientAge' })).body,
    );
    expect(one).toMatchObject({ path: '00101010', status: 'ready', percent: 100 });

    expect(
      (await get('/dicomweb/studies?PatientAge=045Y')).json.map((r) => values(r, Tag.StudyInstanceUID)![0]),
    ).toEqual([study]);
    const [instance] = (await get('/dicomweb/instances?00091010=vendor*')).json;
    expect(values(instance, '00091010')).toEqual(['vendor value']);
  });

  it('answers 409 for a tag declared twice or a built-in key, 400 for what cannot be indexed, 404 for unknown', async () => {
    expect((await post([{ path: 'PatientAge' }])).statusCode).toBe(409);
    expect((await post([{ path: 'PatientName' }])).statusCode).toBe(409);
    for (const body of [
      {},
      [],
      [{ path: 'ImageComments' }],
      [{ path: 'NotAKeyword' }],
      [{ path: '00091011' }],
      [{ path: 'PatientAge', vr: 'LO' }],
      [{ path: 'SliceThickness', level: 'patient' }],
      [{ path: 'SliceThickness', extra: 1 }],
    ]) {
      const res = await post(body);
      expect([JSON.stringify(body), res.statusCode]).toEqual([JSON.stringify(body), 400]);
    }
    expect(
      (await app.app.inject({ method: 'GET', url: '/dicomweb/extended-query-tags/SliceThickness' })).statusCode,
    ).toBe(404);
    expect(
      (await app.app.inject({ method: 'DELETE', url: '/dicomweb/extended-query-tags/SliceThickness' })).statusCode,
    ).toBe(404);
  });

  it('stops matching on a deleted tag (204)', async () => {
    expect((await app.app.inject({ method: 'DELETE', url: '/dicomweb/extended-query-tags/00101010' })).statusCode).toBe(
      204,
    );
    expect((await get('/dicomweb/studies?PatientAge=045Y')).status).toBe(400);
  });
});
