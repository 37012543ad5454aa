// One behavioural suite for the index, run against every database it supports: PGlite (embedded, in
// index.pglite.spec.ts) and real PostgreSQL (index.postgres.integration-spec.ts).
import { Tag } from '@pacs/dicom';
import type { DicomJsonDataset } from './dataset-values';
import type { IndexDatabase } from './index-database';
import { writeInstances, type InstanceRecord } from './index-writer';
import { applyMigrations } from './migrate';
import { findInstanceDetails, findInstances } from './retrieve';
import { search, UnsupportedMatchError, type MatchCondition, type SearchQuery } from './search';

let counter = 0;

export interface FixtureOptions {
  study?: string;
  series?: string;
  sop?: string;
  patientId?: string;
  patientName?: string;
  birthDate?: string;
  studyDate?: string;
  studyTime?: string;
  accession?: string;
  modality?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  sopClass?: string;
  sha256?: string;
  scheduledStepId?: string;
}

export function instanceFixture(o: FixtureOptions = {}): InstanceRecord {
  counter++;
  const study = o.study ?? `1.2.826.0.1.3680043.10.1.${counter}`;
  const series = o.series ?? `${study}.1`;
  const sop = o.sop ?? `${series}.${counter}`;
  const sopClass = o.sopClass ?? '1.2.840.10008.5.1.4.1.1.2';
  const ds: DicomJsonDataset = {
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
    [Tag.SOPClassUID]: { vr: 'UI', Value: [sopClass] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [sop] },
    [Tag.StudyDate]: { vr: 'DA', Value: [o.studyDate ?? '20240115'] },
    [Tag.StudyTime]: { vr: 'TM', Value: [o.studyTime ?? '101500'] },
    [Tag.AccessionNumber]: { vr: 'SH', Value: [o.accession ?? `ACC${counter}`] },
    [Tag.Modality]: { vr: 'CS', Value: [o.modality ?? 'CT'] },
    [Tag.ReferringPhysicianName]: { vr: 'PN', Value: [{ Alphabetic: 'Smith^Anna' }] },
    [Tag.StudyDescription]: { vr: 'LO', Value: ['CT Chest'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: o.patientName ?? 'Doe^John' }] },
    [Tag.PatientID]: { vr: 'LO', Value: [o.patientId ?? 'PID-1'] },
    [Tag.PatientBirthDate]: { vr: 'DA', Value: [o.birthDate ?? '19700101'] },
    [Tag.PatientSex]: { vr: 'CS', Value: ['M'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [series] },
    [Tag.StudyID]: { vr: 'SH', Value: ['S1'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [o.seriesNumber ?? 1] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [o.instanceNumber ?? counter] },
    [Tag.Rows]: { vr: 'US', Value: [512] },
    [Tag.Columns]: { vr: 'US', Value: [512] },
    [Tag.BitsAllocated]: { vr: 'US', Value: [16] },
  };
  if (o.scheduledStepId) {
    ds[Tag.RequestAttributesSequence] = {
      vr: 'SQ',
      Value: [{ [Tag.ScheduledProcedureStepID]: { vr: 'SH', Value: [o.scheduledStepId] } }],
    };
  }
  return {
    partitionId: 1,
    ingestId: `ingest-${counter}`,
    studyUid: study,
    seriesUid: series,
    sopUid: sop,
    sopClassUid: sopClass,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey: `blobs/${sop}`,
    size: 1000 + counter,
    sha256: o.sha256 ?? `sha-${sop}`,
    dataset: ds,
  };
}

export function describeIndexContract(name: string, open: () => Promise<IndexDatabase>): void {
  describe(`index on ${name}`, () => {
    let db: IndexDatabase;
    const q = (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      search(db.sql, { level, partitionId: 1, conditions, fuzzy: false, limit: 100, offset: 0, ...extra });
    const uids = async (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      (await q(level, conditions, extra)).rows.map((r) => r.sopUid ?? r.seriesUid ?? r.studyUid).sort();

    beforeAll(async () => {
      db = await open();
      await applyMigrations(db.sql);
    });
    afterAll(async () => {
      await db?.close();
    });

    it('applies the migrations once, however often it starts', async () => {
      expect(await applyMigrations(db.sql)).toEqual([]);
    });

    it('indexes a batch and reports each instance indexed', async () => {
      const a = instanceFixture();
      const b = instanceFixture({ study: a.studyUid, series: a.seriesUid });
      const outcomes = await writeInstances(db.sql, [a, b]);
      expect(outcomes.map((o) => o.outcome)).toEqual(['indexed', 'indexed']);
      const found = await findInstances(db.sql, { partitionId: 1, studyUid: a.studyUid });
      expect(found.map((i) => i.sopUid).sort()).toEqual([a.sopUid, b.sopUid].sort());
      expect(found[0]).toMatchObject({ transferSyntaxUid: '1.2.840.10008.1.2.1', sopClassUid: a.sopClassUid });
    });

    it('is idempotent: the same instance again is already-indexed and changes no count', async () => {
      const a = instanceFixture();
      await writeInstances(db.sql, [a]);
      const again = await writeInstances(db.sql, [a, { ...a, ingestId: 'other-ingest' }]);
      expect(again.map((o) => o.outcome)).toEqual(['already-indexed', 'already-indexed']);
      const [study] = (await q('study', [{ kind: 'single', tag: Tag.StudyInstanceUID, value: a.studyUid }])).rows;
      expect(study!.dataset[Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([1]);
    });

    it('reports a conflict for the same SOP Instance UID with other content and keeps the first', async () => {
      const a = instanceFixture();
      await writeInstances(db.sql, [a]);
      const [outcome] = await writeInstances(db.sql, [{ ...a, sha256: 'different', ingestId: 'x' }]);
      expect(outcome!.outcome).toBe('conflict');
      const [stored] = await findInstances(db.sql, { partitionId: 1, studyUid: a.studyUid, sopUid: a.sopUid });
      expect(stored!.sha256).toBe(a.sha256);
    });

    it('leaves no empty series behind when every instance of a new series conflicts', async () => {
      const a = instanceFixture();
      await writeInstances(db.sql, [a]);
      const moved = { ...a, seriesUid: `${a.seriesUid}.9`, sha256: 'other', ingestId: 'y' };
      expect((await writeInstances(db.sql, [moved]))[0]!.outcome).toBe('conflict');
      expect(await uids('series', [], { studyUid: a.studyUid })).toEqual([a.seriesUid]);
    });

    it('keeps the computed attributes of a study current', async () => {
      const ct = instanceFixture({ modality: 'CT', seriesNumber: 1 });
      const ct2 = instanceFixture({ study: ct.studyUid, series: ct.seriesUid });
      const mr = instanceFixture({
        study: ct.studyUid,
        series: `${ct.studyUid}.2`,
        modality: 'MR',
        sopClass: '1.2.840.10008.5.1.4.1.1.4',
      });
      await writeInstances(db.sql, [ct, ct2]);
      await writeInstances(db.sql, [mr]);
      const [study] = (await q('study', [{ kind: 'single', tag: Tag.StudyInstanceUID, value: ct.studyUid }])).rows;
      expect(study!.dataset[Tag.ModalitiesInStudy]!.Value).toEqual(['CT', 'MR']);
      expect(study!.dataset[Tag.NumberOfStudyRelatedSeries]!.Value).toEqual([2]);
      expect(study!.dataset[Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([3]);
      expect(study!.dataset[Tag.SOPClassesInStudy]!.Value).toEqual([
        '1.2.840.10008.5.1.4.1.1.2',
        '1.2.840.10008.5.1.4.1.1.4',
      ]);
      const series = (await q('series', [], { studyUid: ct.studyUid })).rows;
      expect(series.map((s) => s.dataset[Tag.NumberOfSeriesRelatedInstances]!.Value![0])).toEqual([2, 1]);
    });

    describe('matching', () => {
      const patient = `P-${Date.now()}`;
      let s1: InstanceRecord, s2: InstanceRecord, s3: InstanceRecord;
      beforeAll(async () => {
        s1 = instanceFixture({
          patientId: patient,
          patientName: 'Müller^Hans',
          studyDate: '20240110',
          studyTime: '080000',
          modality: 'CT',
          scheduledStepId: 'SPS-1',
        });
        s2 = instanceFixture({
          patientId: patient,
          patientName: 'Müller^Hans',
          studyDate: '20240120',
          studyTime: '230000',
          modality: 'MR',
        });
        s3 = instanceFixture({
          patientId: patient,
          patientName: 'Mueller^Greta',
          studyDate: '20240201',
          studyTime: '120000',
          modality: 'US',
        });
        await writeInstances(db.sql, [s1, s2, s3]);
      });
      const pid = { kind: 'single', tag: Tag.PatientID, value: patient } as const;

      it('matches a single value exactly', async () => {
        expect(
          await uids('study', [
            pid,
            { kind: 'single', tag: Tag.AccessionNumber, value: s2.dataset[Tag.AccessionNumber]!.Value![0] as string },
          ]),
        ).toEqual([s2.studyUid]);
      });

      it('matches person names without regard to case or accents, with wildcards', async () => {
        expect(await uids('study', [pid, { kind: 'wildcard', tag: Tag.PatientName, pattern: 'mul*' }])).toEqual(
          [s1.studyUid, s2.studyUid].sort(),
        );
        expect(await uids('study', [pid, { kind: 'wildcard', tag: Tag.PatientName, pattern: 'MUE?LER*' }])).toEqual([
          s3.studyUid,
        ]);
        expect(await uids('study', [pid, { kind: 'single', tag: Tag.PatientName, value: 'muller^hans' }])).toEqual(
          [s1.studyUid, s2.studyUid].sort(),
        );
      });

      it('matches any name component with fuzzy matching', async () => {
        expect(
          await uids('study', [pid, { kind: 'single', tag: Tag.PatientName, value: 'gre' }], { fuzzy: true }),
        ).toEqual([s3.studyUid]);
      });

      it('matches date ranges, closed and open', async () => {
        expect(
          await uids('study', [pid, { kind: 'range', tag: Tag.StudyDate, from: '20240115', to: '20240131' }]),
        ).toEqual([s2.studyUid]);
        expect(await uids('study', [pid, { kind: 'range', tag: Tag.StudyDate, from: '20240120' }])).toEqual(
          [s2.studyUid, s3.studyUid].sort(),
        );
        expect(await uids('study', [pid, { kind: 'range', tag: Tag.StudyDate, to: '20240110' }])).toEqual([
          s1.studyUid,
        ]);
      });

      it('treats a date range with a time range as one date-time range', async () => {
        const range = (from: string, to: string): MatchCondition => ({
          kind: 'range',
          tag: Tag.StudyDate,
          timeTag: Tag.StudyTime,
          from,
          to,
        });
        // 2024-01-10 08:00 is before 2024-01-10 09:00; 2024-01-20 23:00 is after 2024-01-20 22:00.
        expect(await uids('study', [pid, range('20240110090000', '20240120220000')])).toEqual([]);
        expect(await uids('study', [pid, range('20240110070000', '20240120235959.999999')])).toEqual(
          [s1.studyUid, s2.studyUid].sort(),
        );
        expect(
          await uids('study', [
            pid,
            { kind: 'range', tag: Tag.StudyDate, timeTag: Tag.StudyTime, from: '20240120225959' },
          ]),
        ).toEqual([s2.studyUid, s3.studyUid].sort());
      });

      it('matches a list of UIDs', async () => {
        expect(
          await uids('study', [
            { kind: 'uidList', tag: Tag.StudyInstanceUID, values: [s1.studyUid, s3.studyUid, '1.2.3'] },
          ]),
        ).toEqual([s1.studyUid, s3.studyUid].sort());
      });

      it('matches ModalitiesInStudy against any of the study modalities', async () => {
        expect(await uids('study', [pid, { kind: 'single', tag: Tag.ModalitiesInStudy, value: 'MR' }])).toEqual([
          s2.studyUid,
        ]);
        expect(
          await uids('study', [pid, { kind: 'uidList', tag: Tag.ModalitiesInStudy, values: ['MR', 'US'] }]),
        ).toEqual([s2.studyUid, s3.studyUid].sort());
      });

      it('matches inside RequestAttributesSequence', async () => {
        const seq: MatchCondition = {
          kind: 'sequence',
          tag: Tag.RequestAttributesSequence,
          items: [{ kind: 'single', tag: Tag.ScheduledProcedureStepID, value: 'SPS-1' }],
        };
        expect(await uids('series', [pid, seq])).toEqual([s1.seriesUid]);
      });

      it('searches series and instances at the root with the study attributes', async () => {
        const [series] = (await q('series', [pid, { kind: 'single', tag: Tag.Modality, value: 'US' }])).rows;
        expect(series!.seriesUid).toBe(s3.seriesUid);
        expect(series!.dataset[Tag.PatientID]!.Value).toEqual([patient]);
        const [instance] = (await q('instance', [{ kind: 'single', tag: Tag.SOPInstanceUID, value: s3.sopUid }])).rows;
        expect(instance!.dataset[Tag.Modality]!.Value).toEqual(['US']);
        expect(instance!.dataset[Tag.Rows]!.Value).toEqual([512]);
        expect(instance!.dataset[Tag.InstanceAvailability]!.Value).toEqual(['ONLINE']);
      });

      it('pages with limit and offset and says when more results exist', async () => {
        const page1 = await q('study', [pid], { limit: 2, offset: 0 });
        const page2 = await q('study', [pid], { limit: 2, offset: 2 });
        expect(page1.more).toBe(true);
        expect(page2.more).toBe(false);
        // Newest first.
        expect(page1.rows.map((r) => r.studyUid)).toEqual([s3.studyUid, s2.studyUid]);
        expect(page2.rows.map((r) => r.studyUid)).toEqual([s1.studyUid]);
      });

      it('refuses matching on an attribute it does not index', async () => {
        await expect(q('study', [{ kind: 'single', tag: Tag.PatientComments, value: 'x' }])).rejects.toThrow(
          UnsupportedMatchError,
        );
        await expect(q('study', [{ kind: 'single', tag: Tag.SOPInstanceUID, value: '1.2' }])).rejects.toThrow(
          UnsupportedMatchError,
        );
      });
    });

    it('returns instance details with metadata for retrieval', async () => {
      const a = { ...instanceFixture(), pixelIndex: '{"frames":[]}' };
      await writeInstances(db.sql, [a]);
      const [detail] = await findInstanceDetails(db.sql, {
        partitionId: 1,
        studyUid: a.studyUid,
        seriesUid: a.seriesUid,
      });
      expect(JSON.parse(detail!.datasetJson)[Tag.SOPInstanceUID].Value).toEqual([a.sopUid]);
      expect(detail!.pixelIndex).toBe('{"frames":[]}');
      expect(detail!.size).toBe(a.size);
    });

    it('writes 1,000 instances in one batch within one transaction', async () => {
      const study = instanceFixture();
      const batch = Array.from({ length: 1000 }, (_, n) =>
        instanceFixture({ study: study.studyUid, series: study.seriesUid, instanceNumber: n + 1 }),
      );
      const outcomes = await writeInstances(db.sql, batch);
      expect(outcomes.every((o) => o.outcome === 'indexed')).toBe(true);
      const rows = await findInstances(db.sql, {
        partitionId: 1,
        studyUid: study.studyUid,
        seriesUid: study.seriesUid,
      });
      expect(rows).toHaveLength(1000);
    });
  });
}
