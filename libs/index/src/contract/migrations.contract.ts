// Upgrading keeps data: an index at the previous migration, filled with rows of that shape, then migrated to the
// latest, answers as an index written by today's code would.
import { Tag } from '@pacs/dicom';
import type { IndexDatabase } from '../index-database';
import { writeInstances } from '../index-writer';
import { applyMigrations, listMigrations } from '../migrate';
import { findInstanceDetails } from '../retrieve';
import { search, type MatchCondition, type SearchQuery } from '../search';
import { instanceFixture } from '../testing/fixtures';

const study = '2.25.4242.1';
const series = `${study}.1`;
const sop = `${series}.1`;

/** Rows as the first migration (20261129215305_init) shaped them, written as its writer did. */
async function writeInitShape(db: IndexDatabase): Promise<void> {
  const sql = db.sql;
  const studyAttributes = {
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^John^^' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['OLD-1'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [study] },
    [Tag.StudyDate]: { vr: 'DA', Value: ['20240110'] },
    [Tag.StudyTime]: { vr: 'TM', Value: ['080000'] },
    [Tag.TimezoneOffsetFromUTC]: { vr: 'SH', Value: ['+0100'] },
  };
  const seriesAttributes = {
    [Tag.Modality]: { vr: 'CT', Value: ['CT'] },
    [Tag.RequestAttributesSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tag.ScheduledProcedureStepID]: { vr: 'SH', Value: ['SPS-A'] },
          [Tag.RequestedProcedureID]: { vr: 'SH', Value: ['RP-1'] },
        },
        {
          [Tag.ScheduledProcedureStepID]: { vr: 'SH', Value: ['SPS-B'] },
          [Tag.RequestedProcedureID]: { vr: 'SH', Value: ['RP-2'] },
        },
      ],
    },
  };
  const [patient] = await sql.query<{ pk: bigint }>(
    `INSERT INTO patient (partition_id, patient_id, issuer, patient_name, patient_name_norm, attributes)
     VALUES (1, 'OLD-1', '', 'Doe^John^^', 'DOE^JOHN^^', $1::jsonb) RETURNING pk`,
    [
      JSON.stringify({
        [Tag.PatientName]: studyAttributes[Tag.PatientName],
        [Tag.PatientID]: studyAttributes[Tag.PatientID],
      }),
    ],
  );
  const [st] = await sql.query<{ pk: bigint }>(
    `INSERT INTO study (partition_id, patient_pk, study_uid, study_date, study_time, timezone_offset_from_utc, patient_id, issuer,
                        patient_name, patient_name_norm, modalities, sop_classes, num_series, num_instances, attributes)
     VALUES (1, $1::bigint, $2, '2024-01-10', '08:00', '+0100', 'OLD-1', '', 'Doe^John^^', 'DOE^JOHN^^', '{CT}',
             '{1.2.840.10008.5.1.4.1.1.2}', 1, 1, $3::jsonb) RETURNING pk`,
    [String(patient!.pk), study, JSON.stringify(studyAttributes)],
  );
  const [se] = await sql.query<{ pk: bigint }>(
    `INSERT INTO series (partition_id, study_pk, series_uid, modality, series_number, scheduled_procedure_step_ids,
                         requested_procedure_ids, num_instances, attributes)
     VALUES (1, $1::bigint, $2, 'CT', 1, '{SPS-A,SPS-B}', '{RP-1,RP-2}', 1, $3::jsonb) RETURNING pk`,
    [String(st!.pk), series, JSON.stringify(seriesAttributes)],
  );
  const [i] = await sql.query<{ pk: bigint }>(
    `INSERT INTO instance (partition_id, study_pk, series_pk, sop_uid, sop_class_uid, instance_number, transfer_syntax_uid,
                           blob_key, size, sha256, ingest_id, attributes)
     VALUES (1, $1::bigint, $2::bigint, $3, '1.2.840.10008.5.1.4.1.1.2', 1, '1.2.840.10008.1.2.1', 'blobs/old', 10, 'sha-old', 'i-old', '{}')
     RETURNING pk`,
    [String(st!.pk), String(se!.pk), sop],
  );
  await sql.execute(`INSERT INTO instance_metadata (instance_pk, dataset_json) VALUES ($1::bigint, $2)`, [
    String(i!.pk),
    JSON.stringify({ ...studyAttributes, ...seriesAttributes }),
  ]);
}

export function describeMigrationsContract(open: () => Promise<IndexDatabase>): void {
  describe('upgrading an index written at the first migration (init) to the latest', () => {
    let db: IndexDatabase;
    const migrations = listMigrations();
    const q = (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      search(db.sql, { level, partitionId: 1, conditions, fuzzy: false, limit: 100, offset: 0, ...extra });

    beforeAll(async () => {
      db = await open();
      expect(migrations.map((m) => m.name)).toContain('20261129215305_init');
      await applyMigrations(
        db.sql,
        migrations.slice(0, migrations.findIndex((m) => m.name === '20261129215305_init') + 1),
      );
      await writeInitShape(db);
      const applied = await applyMigrations(db.sql);
      expect(applied).toEqual(migrations.slice(1).map((m) => m.name));
    });
    afterAll(async () => {
      await db?.close();
    });

    it('keeps every row and what retrieval reads', async () => {
      const [detail] = await findInstanceDetails(db.sql, { partitionId: 1, studyUid: study });
      expect(detail).toMatchObject({
        sopUid: sop,
        seriesUid: series,
        blobKey: 'blobs/old',
        size: 10,
        sha256: 'sha-old',
      });
      const [row] = (await q('study', [{ kind: 'single', tag: Tag.PatientID, value: 'OLD-1' }])).rows;
      expect(row!.dataset[Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([1]);
      expect(row!.dataset[Tag.ModalitiesInStudy]!.Value).toEqual(['CT']);
    });

    it('moves RequestAttributesSequence items into item-wise sequence matching', async () => {
      const seq = (sps: string, rp: string): MatchCondition => ({
        kind: 'sequence',
        tag: Tag.RequestAttributesSequence,
        items: [
          { kind: 'single', tag: Tag.ScheduledProcedureStepID, value: sps },
          { kind: 'single', tag: Tag.RequestedProcedureID, value: rp },
        ],
      });
      expect((await q('series', [seq('SPS-B', 'RP-2')])).rows.map((r) => r.seriesUid)).toEqual([series]);
      expect((await q('series', [seq('SPS-A', 'RP-2')])).rows).toEqual([]);
    });

    it('normalises names and fills the fuzzy-matching keys and the time zone offsets', async () => {
      expect((await q('study', [{ kind: 'single', tag: Tag.PatientName, value: 'doe^john' }])).rows).toHaveLength(1);
      expect(
        (await q('study', [{ kind: 'single', tag: Tag.PatientName, value: 'jo' }], { fuzzy: true })).rows,
      ).toHaveLength(1);
      const utc: MatchCondition = {
        kind: 'range',
        tag: Tag.StudyDate,
        timeTag: Tag.StudyTime,
        from: '20240110070000.000000',
        to: '20240110070000.000000',
      };
      expect((await q('study', [utc], { timezoneOffsetMinutes: 0 })).rows).toHaveLength(1);
    });

    it('goes on indexing into the migrated rows', async () => {
      const more = instanceFixture({ study, series, patientId: 'OLD-1', patientName: 'Doe^John' });
      expect((await writeInstances(db.sql, [more]))[0]!.outcome).toBe('indexed');
      const [row] = (await q('study', [{ kind: 'single', tag: Tag.StudyInstanceUID, value: study }])).rows;
      expect(row!.dataset[Tag.NumberOfStudyRelatedInstances]!.Value).toEqual([2]);
    });
  });
}
