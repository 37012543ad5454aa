// What changes an index after the store: deletes (instance.deleted) and the patient events of the source of
// truth (patient.updated, patients.merged).
import { Tag } from '@pacs/dicom';
import { deleteInstances } from '../delete-instances';
import type { IndexDatabase } from '../index-database';
import { writeInstances } from '../index-writer';
import { findPatientModule, findPatientRecord, mergePatients, updatePatient } from '../patients';
import { findInstances } from '../retrieve';
import { search, type MatchCondition, type SearchQuery } from '../search';
import { instanceFixture } from '../testing/fixtures';

const partitionId = 21;
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';

export function describeLifecycleContract(database: () => IndexDatabase): void {
  const q = (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
    search(database().sql, { level, partitionId, conditions, fuzzy: false, limit: 100, offset: 0, ...extra });
  const studyOf = async (studyUid: string) =>
    (await q('study', [{ kind: 'single', tag: Tag.StudyInstanceUID, value: studyUid }])).rows[0]?.dataset;
  const byPatient = async (patientId: string) =>
    (await q('study', [{ kind: 'single', tag: Tag.PatientID, value: patientId }])).rows.map((r) => r.studyUid).sort();
  let n = 0;
  const fixture = (o: Parameters<typeof instanceFixture>[0]) => instanceFixture({ partitionId, ...o });

  describe('deleting instances', () => {
    it('recomputes counts, ModalitiesInStudy and SOPClassesInStudy, and removes emptied series and studies', async () => {
      const ct1 = fixture({ modality: 'CT', seriesNumber: 1 });
      const ct2 = fixture({ study: ct1.studyUid, series: ct1.seriesUid });
      const mr = fixture({ study: ct1.studyUid, series: `${ct1.studyUid}.2`, modality: 'MR', sopClass: MR });
      await writeInstances(database().sql, [ct1, ct2, mr]);

      const deleted = await deleteInstances(database().sql, [
        { partitionId, studyUid: mr.studyUid, seriesUid: mr.seriesUid, sopUid: mr.sopUid },
      ]);
      expect(deleted).toEqual([
        { partitionId, studyUid: mr.studyUid, seriesUid: mr.seriesUid, sopUid: mr.sopUid, blobKey: mr.blobKey },
      ]);
      let study = await studyOf(ct1.studyUid);
      expect(study![Tag.ModalitiesInStudy]!.Value).toEqual(['CT']);
      expect(study![Tag.SOPClassesInStudy]!.Value).toEqual([CT]);
      expect(study![Tag.NumberOfStudyRelatedSeries]!.Value).toEqual([1]);
      expect(study![Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([2]);
      expect((await q('series', [], { studyUid: ct1.studyUid })).rows.map((r) => r.seriesUid)).toEqual([ct1.seriesUid]);

      await deleteInstances(database().sql, [
        { partitionId, studyUid: ct1.studyUid, seriesUid: ct1.seriesUid, sopUid: ct1.sopUid },
      ]);
      study = await studyOf(ct1.studyUid);
      expect(study![Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([1]);
      expect(
        (await q('series', [], { studyUid: ct1.studyUid })).rows[0]!.dataset[Tag.NumberOfSeriesRelatedInstances]!.Value,
      ).toEqual([1]);

      await deleteInstances(database().sql, [{ partitionId, studyUid: ct2.studyUid, sopUid: ct2.sopUid }]);
      expect(await studyOf(ct1.studyUid)).toBeUndefined();
      expect(await findInstances(database().sql, { partitionId, studyUid: ct1.studyUid })).toEqual([]);
    });

    it('deletes a whole series or study, and is idempotent', async () => {
      const a = fixture({});
      const b = fixture({ study: a.studyUid, series: a.seriesUid });
      const c = fixture({ study: a.studyUid, series: `${a.studyUid}.7`, modality: 'MR' });
      await writeInstances(database().sql, [a, b, c]);
      const series = await deleteInstances(database().sql, [
        { partitionId, studyUid: a.studyUid, seriesUid: a.seriesUid },
      ]);
      expect(series.map((d) => d.sopUid).sort()).toEqual([a.sopUid, b.sopUid].sort());
      expect((await studyOf(a.studyUid))![Tag.ModalitiesInStudy]!.Value).toEqual(['MR']);
      const study = await deleteInstances(database().sql, [{ partitionId, studyUid: a.studyUid }]);
      expect(study.map((d) => d.sopUid)).toEqual([c.sopUid]);
      expect(await deleteInstances(database().sql, [{ partitionId, studyUid: a.studyUid }])).toEqual([]);
      expect(await studyOf(a.studyUid)).toBeUndefined();
    });

    it('lets a deleted instance be stored again', async () => {
      const a = fixture({});
      await writeInstances(database().sql, [a]);
      await deleteInstances(database().sql, [{ partitionId, studyUid: a.studyUid, sopUid: a.sopUid }]);
      expect((await writeInstances(database().sql, [a]))[0]!.outcome).toBe('indexed');
      expect((await studyOf(a.studyUid))![Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([1]);
    });
  });

  describe('patient.updated', () => {
    it('changes the patient columns and Patient module of every study of the patient', async () => {
      const patientId = `UPD-${++n}`;
      const s1 = fixture({ patientId, patientName: 'Smith^Jane', birthDate: '19800101' });
      const s2 = fixture({ patientId, patientName: 'Smith^Jane', birthDate: '19800101' });
      const other = fixture({ patientId: `${patientId}-other`, patientName: 'Smith^Jane' });
      await writeInstances(database().sql, [s1, s2, other]);

      const outcome = await updatePatient(database().sql, {
        partitionId,
        patientId,
        issuer: '',
        occurredAt: 1000,
        module: {
          [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Brown^Jane' }] },
          [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19800102'] },
          [Tag.PatientSex]: { vr: 'CS' },
          [Tag.StudyDescription]: { vr: 'LO', Value: ['not a patient attribute'] },
        },
      });
      expect(outcome).toEqual({ kind: 'applied', studies: 2 });
      const name = (value: string): MatchCondition => ({ kind: 'single', tag: Tag.PatientName, value });
      expect((await q('study', [name('brown^jane')])).rows.map((r) => r.studyUid).sort()).toEqual(
        [s1.studyUid, s2.studyUid].sort(),
      );
      expect((await q('study', [name('smith^jane')])).rows.map((r) => r.studyUid)).toEqual([other.studyUid]);
      expect(
        (await q('study', [{ kind: 'single', tag: Tag.PatientName, value: 'bro' }], { fuzzy: true })).rows,
      ).toHaveLength(2);
      const study = await studyOf(s1.studyUid);
      expect(study![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Brown^Jane' }]);
      expect(study![Tag.PatientBirthDate]!.Value).toEqual(['19800102']);
      expect(study![Tag.PatientSex]).toEqual({ vr: 'CS' });
      expect(study![Tag.StudyDescription]!.Value).toEqual(['CT Chest']);
      expect(
        (
          await q('study', [
            { kind: 'range', tag: Tag.PatientBirthDate, from: '19800102', to: '19800102' },
            name('brown^jane'),
          ])
        ).rows,
      ).toHaveLength(2);
      expect(
        (await q('study', [{ kind: 'single', tag: Tag.PatientSex, value: 'M' }, name('brown^jane')])).rows,
      ).toEqual([]);

      // Retrieval finds the current Patient module of a study.
      const module = await findPatientModule(database().sql, { partitionId, studyUid: s1.studyUid });
      expect(module![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Brown^Jane' }]);
      expect(module![Tag.PatientID]!.Value).toEqual([patientId]);
      expect(await findPatientModule(database().sql, { partitionId, studyUid: '9.9.9' })).toBeUndefined();

      // Studies stored after the update show it too.
      const s3 = fixture({ patientId, patientName: 'Smith^Jane' });
      await writeInstances(database().sql, [s3]);
      expect((await studyOf(s3.studyUid))![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Brown^Jane' }]);
    });

    it('is idempotent and ignores updates older than the one applied', async () => {
      const patientId = `UPD-${++n}`;
      const s1 = fixture({ patientId, patientName: 'Old^Name' });
      await writeInstances(database().sql, [s1]);
      const update = (name: string, occurredAt: number) =>
        updatePatient(database().sql, {
          partitionId,
          patientId,
          issuer: '',
          occurredAt,
          module: { [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: name }] } },
        });
      const record = () => findPatientRecord(database().sql, { partitionId, studyUid: s1.studyUid });
      expect(await record()).toMatchObject({ version: 1, updatedBySource: false });
      expect((await update('New^Name', 2000)).kind).toBe('applied');
      expect((await update('New^Name', 2000)).kind).toBe('applied');
      expect(await update('Older^Name', 1000)).toEqual({ kind: 'stale' });
      expect((await studyOf(s1.studyUid))![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'New^Name' }]);
      // The version counts changes of the record, not updates received.
      expect(await record()).toMatchObject({ version: 2, patientId, issuer: '', updatedBySource: true });
      expect((await update('Newer^Name', 3000)).kind).toBe('applied');
      const current = await record();
      expect(current!.version).toBe(3);
      expect(current!.module[Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Newer^Name' }]);
    });

    it('starts a new version when the source first sets a record, even to the values it had', async () => {
      const patientId = `UPD-${++n}`;
      const s1 = fixture({ patientId, patientName: 'Same^Name' });
      await writeInstances(database().sql, [s1]);
      const record = () => findPatientRecord(database().sql, { partitionId, studyUid: s1.studyUid });
      const { module } = (await record())!;
      await updatePatient(database().sql, { partitionId, patientId, issuer: '', occurredAt: 1, module });
      expect(await record()).toMatchObject({ version: 2, updatedBySource: true, module });
    });

    it('creates a patient the index has not seen, whose studies then show the update', async () => {
      const patientId = `UPD-${++n}`;
      expect(
        await updatePatient(database().sql, {
          partitionId,
          patientId,
          issuer: 'HIS',
          occurredAt: 5,
          module: { [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'First^Known' }] } },
        }),
      ).toEqual({ kind: 'applied', studies: 0 });
      const s = fixture({ patientId, issuer: 'HIS', patientName: 'Other^Spelling' });
      await writeInstances(database().sql, [s]);
      expect((await studyOf(s.studyUid))![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'First^Known' }]);
    });
  });

  describe('patients.merged', () => {
    it('moves the merged patient’s studies to the surviving patient and retires the merged one', async () => {
      const surviving = `SURV-${++n}`;
      const merged = `MERG-${n}`;
      const a = fixture({ patientId: surviving, patientName: 'Keep^Kim', birthDate: '19900101' });
      const b = fixture({ patientId: merged, patientName: 'Kim^Keep', birthDate: '19910101' });
      const c = fixture({ patientId: merged, patientName: 'Kim^Keep' });
      await writeInstances(database().sql, [a, b, c]);
      const recordOf = (studyUid: string) => findPatientRecord(database().sql, { partitionId, studyUid });
      const before = await recordOf(b.studyUid);

      const outcome = await mergePatients(database().sql, {
        partitionId,
        surviving: { patientId: surviving, issuer: '' },
        merged: { patientId: merged, issuer: '' },
        eventId: 'merge-1',
      });
      expect(outcome.studies).toBe(2);
      // The moved studies now have the survivor's record: another row, so another (pk, version).
      const [ra, rb] = [await recordOf(a.studyUid), await recordOf(b.studyUid)];
      expect(rb).toEqual(ra);
      expect(rb!.pk).not.toBe(before!.pk);
      expect(rb!.patientId).toBe(surviving);
      expect(await byPatient(surviving)).toEqual([a.studyUid, b.studyUid, c.studyUid].sort());
      expect(await byPatient(merged)).toEqual([]);
      const moved = await studyOf(b.studyUid);
      expect(moved![Tag.PatientID]!.Value).toEqual([surviving]);
      expect(moved![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Keep^Kim' }]);
      expect(moved![Tag.PatientBirthDate]!.Value).toEqual(['19900101']);

      // Again: nothing moves. Later instances with the merged identity go to the survivor.
      expect(
        (
          await mergePatients(database().sql, {
            partitionId,
            surviving: { patientId: surviving, issuer: '' },
            merged: { patientId: merged, issuer: '' },
            eventId: 'merge-1',
          })
        ).studies,
      ).toBe(0);
      const late = fixture({ patientId: merged, patientName: 'Kim^Keep' });
      await writeInstances(database().sql, [late]);
      expect(await byPatient(merged)).toEqual([]);
      expect((await studyOf(late.studyUid))![Tag.PatientID]!.Value).toEqual([surviving]);
      expect(
        await updatePatient(database().sql, { partitionId, patientId: merged, issuer: '', occurredAt: 9, module: {} }),
      ).toEqual({ kind: 'merged', into: { partitionId, patientId: surviving, issuer: '' } });
    });

    it('renames the merged patient when the survivor is unknown, and follows merge chains', async () => {
      const x = `X-${++n}`;
      const y = `Y-${n}`;
      const z = `Z-${n}`;
      const sx = fixture({ patientId: x, issuer: 'A', patientName: 'Chain^Xavier' });
      await writeInstances(database().sql, [sx]);
      await mergePatients(database().sql, {
        partitionId,
        surviving: { patientId: y, issuer: 'B' },
        merged: { patientId: x, issuer: 'A' },
        eventId: 'm1',
      });
      let study = await studyOf(sx.studyUid);
      // The row was renamed: same pk, a new version.
      expect(await findPatientRecord(database().sql, { partitionId, studyUid: sx.studyUid })).toMatchObject({
        version: 2,
        patientId: y,
        issuer: 'B',
      });
      expect(study![Tag.PatientID]!.Value).toEqual([y]);
      expect(study![Tag.IssuerOfPatientID]!.Value).toEqual(['B']);
      expect(study![Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Chain^Xavier' }]);

      const sz = fixture({ patientId: z, patientName: 'Zed^Zoe' });
      await writeInstances(database().sql, [sz]);
      await mergePatients(database().sql, {
        partitionId,
        surviving: { patientId: z, issuer: '' },
        merged: { patientId: y, issuer: 'B' },
        eventId: 'm2',
      });
      study = await studyOf(sx.studyUid);
      expect(study![Tag.PatientID]!.Value).toEqual([z]);
      expect(study![Tag.IssuerOfPatientID]).toBeUndefined();
      // An instance still carrying the first identity lands at the end of the chain.
      const late = fixture({ patientId: x, issuer: 'A' });
      await writeInstances(database().sql, [late]);
      expect((await studyOf(late.studyUid))![Tag.PatientID]!.Value).toEqual([z]);
    });
  });
}
