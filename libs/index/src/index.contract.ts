// One behavioural suite for the index, run against every database it supports: PGlite (embedded, in
// index.pglite.spec.ts) and real PostgreSQL (index.postgres.integration-spec.ts).
import { Tag } from '@pacs/dicom';
import { describeExtendedTagsContract } from './contract/extended-tags.contract';
import { describeLifecycleContract } from './contract/lifecycle.contract';
import { describeMatchingContract } from './contract/matching.contract';
import { describeMigrationsContract } from './contract/migrations.contract';
import { describeOracleContract } from './contract/oracle.contract';
import type { IndexDatabase } from './index-database';
import { writeInstances } from './index-writer';
import { applyMigrations } from './migrate';
import { findInstanceDetails, findInstances } from './retrieve';
import { search, type MatchCondition, type SearchQuery } from './search';
import { instanceFixture } from './testing/fixtures';

export { instanceFixture };

export interface ContractOptions {
  /** Random archives the oracle comparison runs (QIDO_ORACLE_RUNS raises it for a longer search). */
  oracleRuns: number;
}

export function describeIndexContract(
  name: string,
  open: () => Promise<IndexDatabase>,
  options: ContractOptions = { oracleRuns: 40 },
): void {
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
        seriesNumber: 2,
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

    it('gives every study of a patient the patient module of the patient, from its first instance', async () => {
      const patientId = `PAT-${Date.now()}`;
      const first = instanceFixture({ patientId, patientName: 'Roe^Richard', birthDate: '19600101' });
      const second = instanceFixture({ patientId, patientName: 'Roe^Dick', birthDate: '19600102' });
      await writeInstances(db.sql, [first]);
      await writeInstances(db.sql, [second]);
      const studies = (await q('study', [{ kind: 'single', tag: Tag.PatientID, value: patientId }])).rows;
      expect(studies.map((s) => s.dataset[Tag.PatientName]!.Value)).toEqual([
        [{ Alphabetic: 'Roe^Richard' }],
        [{ Alphabetic: 'Roe^Richard' }],
      ]);
      expect(
        await uids('study', [
          { kind: 'single', tag: Tag.PatientName, value: 'roe^dick' },
          { kind: 'single', tag: Tag.PatientID, value: patientId },
        ]),
      ).toEqual([]);
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
      expect(rows.slice(0, 3).map((r) => r.sopUid)).toEqual(batch.slice(0, 3).map((r) => r.sopUid));
    });

    const database = () => db;
    describeMatchingContract(database);
    describeOracleContract(database, options.oracleRuns);
    describeLifecycleContract(database);
    describeExtendedTagsContract(database);
    describeMigrationsContract(open);
  });
}
