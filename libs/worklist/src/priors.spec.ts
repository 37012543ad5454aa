// The priors resource and the prefetch on workitem creation, over an embedded index (PGlite) filled the
// way the index owner fills it (@pacs/index writeInstances). The prefetch reads this deployment's DICOMweb
// URLs; here they point at a recording HTTP server.
import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { applyMigrations, writeInstances, type IndexDatabase, type InstanceRecord } from '@pacs/index';
import { createApp, INDEX_DATABASE, type App } from '@pacs/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PriorsPrefetcher } from './priors-prefetcher';
import { WorklistFeature } from './worklist.module';

const root = '1.2.826.0.1.3680043.8.498.44';

function study(
  n: number,
  patient: { id: string; issuer: string },
  date: string,
  modality: string,
  bodyPart: string,
): InstanceRecord {
  const dataset: DicomJsonDataset = {
    [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [`${root}.1.${n}`] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [`${root}.2.${n}`] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [`${root}.3.${n}`] },
    [Tag.StudyDate]: { vr: 'DA', Value: [date] },
    [Tag.StudyTime]: { vr: 'TM', Value: ['120000'] },
    [Tag.Modality]: { vr: 'CS', Value: [modality] },
    [Tag.BodyPartExamined]: { vr: 'CS', Value: [bodyPart] },
    [Tag.PatientID]: { vr: 'LO', Value: [patient.id] },
    [Tag.IssuerOfPatientID]: { vr: 'LO', Value: [patient.issuer] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Prior^Patient' }] },
  };
  return {
    partitionId: 1,
    ingestId: `prior-${n}`,
    studyUid: `${root}.1.${n}`,
    seriesUid: `${root}.2.${n}`,
    sopUid: `${root}.3.${n}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey: `blob-${n}`,
    size: 100,
    sha256: 'c'.repeat(64),
    dataset,
  };
}

describe('priors', () => {
  let created: App;
  let dataDir: string;
  let server: Server;
  const requested: string[] = [];
  const p1 = { id: 'PRIOR-1', issuer: 'HOSP' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      requested.push(`${req.method} ${req.url} ${req.headers.accept}`);
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(1024));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    dataDir = mkdtempSync(join(tmpdir(), 'pacs-priors-'));
    created = await createApp({
      name: 'pacs',
      features: [WorklistFeature],
      env: {},
      overrides: {
        PACS_DATA_DIR: dataDir,
        PACS_LOG_LEVEL: 'silent',
        PACS_PRIORS_PREFETCH_COUNT: '2',
        PACS_DICOMWEB_INTERNAL_URL: `http://127.0.0.1:${port}/dicomweb`,
      },
    });
    const db = created.app.get<IndexDatabase>(INDEX_DATABASE);
    await applyMigrations(db.sql);
    await writeInstances(db.sql, [
      study(1, p1, '20200101', 'CT', 'HEAD'),
      study(2, p1, '20210101', 'MR', 'HEAD'),
      study(3, p1, '20220101', 'CT', 'CHEST'),
      study(4, p1, '20230101', 'CT', 'HEAD'),
      study(5, { id: 'PRIOR-1', issuer: 'OTHER' }, '20220601', 'CT', 'HEAD'),
      study(6, { id: 'PRIOR-2', issuer: 'HOSP' }, '20220601', 'CT', 'HEAD'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await created.close();
    server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const priors = async (studyN: number, query = '') => {
    const res = await created.app.inject({
      method: 'GET',
      url: `/dicomweb/studies/${root}.1.${studyN}/priors${query}`,
      headers: { accept: 'application/dicom+json' },
    });
    const uids =
      res.statusCode === 200
        ? (JSON.parse(res.body) as DicomJsonDataset[]).map((d) => String(d[Tag.StudyInstanceUID]!.Value![0]))
        : [];
    return { res, ns: uids.map((u) => Number(u.split('.').pop())) };
  };

  it('lists the same patient’s earlier studies, newest first, never another issuer’s', async () => {
    const { res, ns } = await priors(4);
    expect(res.statusCode).toBe(200);
    expect(ns).toEqual([3, 2, 1]);
    const body = JSON.parse(res.body) as DicomJsonDataset[];
    expect(body[0]![Tag.RetrieveURL]!.Value![0]).toMatch(new RegExp(`/dicomweb/studies/${root}\\.1\\.3$`));
    expect(body[0]![Tag.ModalitiesInStudy]!.Value).toEqual(['CT']);
  });

  it('keeps only studies before the current one', async () => {
    expect((await priors(2)).ns).toEqual([1]);
  });

  it('filters by the same modality or body part, or given ones', async () => {
    expect((await priors(4, '?modality=same')).ns).toEqual([3, 1]);
    expect((await priors(4, '?bodypart=same')).ns).toEqual([2, 1]);
    expect((await priors(4, '?modality=same&bodypart=same')).ns).toEqual([1]);
    expect((await priors(4, '?modality=MR')).ns).toEqual([2]);
    expect((await priors(4, '?limit=1&offset=1')).ns).toEqual([2]);
  });

  it('answers 404 for a study the index does not have and 400 for a bad parameter', async () => {
    expect((await priors(99)).res.statusCode).toBe(404);
    expect((await priors(4, '?sort=asc')).res.statusCode).toBe(400);
    expect((await priors(4, '?limit=0')).res.statusCode).toBe(400);
  });

  it('warms the metadata and thumbnails of the newest priors when a workitem is scheduled', async () => {
    requested.length = 0;
    const res = await created.app.inject({
      method: 'POST',
      url: `/dicomweb/workitems?${root}.9.1`,
      headers: { 'content-type': 'application/dicom+json' },
      payload: JSON.stringify([
        {
          [Tag.ProcedureStepState]: { vr: 'CS', Value: ['SCHEDULED'] },
          [Tag.ScheduledProcedureStepPriority]: { vr: 'CS', Value: ['HIGH'] },
          [Tag.ProcedureStepLabel]: { vr: 'LO', Value: ['MR head'] },
          [Tag.ScheduledProcedureStepStartDateTime]: { vr: 'DT', Value: ['20240101090000'] },
          [Tag.InputReadinessState]: { vr: 'CS', Value: ['READY'] },
          [Tag.PatientID]: { vr: 'LO', Value: [p1.id] },
          [Tag.IssuerOfPatientID]: { vr: 'LO', Value: [p1.issuer] },
          [Tag.ScheduledStationClassCodeSequence]: {
            vr: 'SQ',
            Value: [
              {
                [Tag.CodeValue]: { vr: 'SH', Value: ['CT'] },
                [Tag.CodingSchemeDesignator]: { vr: 'SH', Value: ['DCM'] },
              },
            ],
          },
        },
      ]),
    });
    expect(res.statusCode).toBe(201);
    await created.app.get(PriorsPrefetcher).idle();
    // The two newest CT priors (4, then 3): study metadata, study thumbnail, each series' thumbnail.
    expect(requested).toEqual([
      `GET /dicomweb/studies/${root}.1.4/metadata application/dicom+json`,
      `GET /dicomweb/studies/${root}.1.4/thumbnail image/jpeg`,
      `GET /dicomweb/studies/${root}.1.4/series/${root}.2.4/thumbnail image/jpeg`,
      `GET /dicomweb/studies/${root}.1.3/metadata application/dicom+json`,
      `GET /dicomweb/studies/${root}.1.3/thumbnail image/jpeg`,
      `GET /dicomweb/studies/${root}.1.3/series/${root}.2.3/thumbnail image/jpeg`,
    ]);
  });
});
