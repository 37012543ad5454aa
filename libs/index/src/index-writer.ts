import { Tag } from '@pacs/dicom';
import { attributesOfLevel } from './attribute-levels';
import {
  intValue,
  normalizeForMatching,
  sequenceItems,
  sqlDate,
  sqlTime,
  stringValue,
  type DicomJsonDataset,
} from './dataset-values';
import type { Sql } from './sql';

/** One stored instance, as the index receives it (from the instance.stored event). */
export interface InstanceRecord {
  partitionId: number;
  ingestId: string;
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  blobKey: string;
  size: number;
  sha256: string;
  dataset: DicomJsonDataset;
  /** The data set's JSON text when the caller has it already (saves a stringify). */
  datasetJson?: string;
  /** Frame / fragment byte ranges (JSON). */
  pixelIndex?: string;
  /** Bulk data byte ranges (JSON). */
  bulk?: string;
}

export type IndexOutcomeKind = 'indexed' | 'already-indexed' | 'conflict';
export interface IndexOutcome {
  sopUid: string;
  ingestId: string;
  outcome: IndexOutcomeKind;
  /** For conflicts: what differs. */
  reason?: string;
}

const keyOf = (...parts: (string | number)[]) => parts.join('\u0000');

/**
 * Writes a batch of stored instances into the index in ONE transaction, with one multi-row statement per
 * table (unnest arrays), and keeps the computed attributes (counts, ModalitiesInStudy, SOPClassesInStudy)
 * current. Idempotent: an instance indexed before with the same content is reported 'already-indexed';
 * the same SOP Instance UID with other content is a 'conflict' and changes nothing.
 */
export async function writeInstances(sql: Sql, records: readonly InstanceRecord[]): Promise<IndexOutcome[]> {
  if (records.length === 0) return [];
  return sql.transaction(async (tx) => {
    const patientPks = await upsertPatients(tx, records);
    const studyPks = await upsertStudies(tx, records, patientPks);
    const seriesPks = await upsertSeries(tx, records, studyPks);
    const outcomes = await insertInstances(tx, records, studyPks, seriesPks);
    await refreshComputedAttributes(tx, [...new Set(studyPks.values())], [...new Set(seriesPks.values())]);
    return outcomes;
  });
}

const patientKey = (r: InstanceRecord) =>
  keyOf(
    r.partitionId,
    stringValue(r.dataset, Tag.PatientID) ?? '',
    stringValue(r.dataset, Tag.IssuerOfPatientID) ?? '',
  );

async function upsertPatients(tx: Sql, records: readonly InstanceRecord[]): Promise<Map<string, string>> {
  const byKey = new Map<string, InstanceRecord>();
  for (const r of records) if (!byKey.has(patientKey(r))) byKey.set(patientKey(r), r);
  const rows = [...byKey.values()];
  const name = (r: InstanceRecord) => stringValue(r.dataset, Tag.PatientName);
  // DO UPDATE (not DO NOTHING) so RETURNING gives existing rows too; attributes of an existing patient
  // are not overwritten by a later instance: HL7 ADT is what updates demographics.
  const result = await tx.query<{ pk: bigint; partition_id: number; patient_id: string; issuer: string }>(
    `INSERT INTO patient (partition_id, patient_id, issuer, patient_name, patient_name_norm, patient_birth_date, patient_sex, attributes)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::jsonb[])
     ON CONFLICT (partition_id, patient_id, issuer) DO UPDATE SET updated_at = now()
     RETURNING pk, partition_id, patient_id, issuer`,
    [
      rows.map((r) => r.partitionId),
      rows.map((r) => stringValue(r.dataset, Tag.PatientID) ?? ''),
      rows.map((r) => stringValue(r.dataset, Tag.IssuerOfPatientID) ?? ''),
      rows.map((r) => name(r) ?? null),
      rows.map((r) => normalizeForMatching(name(r)) ?? null),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.PatientBirthDate)) ?? null),
      rows.map((r) => stringValue(r.dataset, Tag.PatientSex) ?? null),
      rows.map((r) => JSON.stringify(attributesOfLevel(r.dataset, 'patient'))),
    ],
  );
  return new Map(result.map((p) => [keyOf(p.partition_id, p.patient_id, p.issuer), String(p.pk)]));
}

async function upsertStudies(
  tx: Sql,
  records: readonly InstanceRecord[],
  patientPks: Map<string, string>,
): Promise<Map<string, string>> {
  const byKey = new Map<string, InstanceRecord>();
  for (const r of records)
    if (!byKey.has(keyOf(r.partitionId, r.studyUid))) byKey.set(keyOf(r.partitionId, r.studyUid), r);
  const rows = [...byKey.values()];
  const s = (r: InstanceRecord, tag: string) => stringValue(r.dataset, tag) ?? null;
  const result = await tx.query<{ pk: bigint; partition_id: number; study_uid: string }>(
    `INSERT INTO study (partition_id, patient_pk, study_uid, study_date, study_time, accession_number, study_id, study_description,
                        referring_physician_name, referring_physician_norm, timezone_offset_from_utc,
                        patient_id, issuer, patient_name, patient_name_norm, patient_birth_date, patient_sex, attributes)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::date[], $5::time[], $6::text[], $7::text[], $8::text[],
                          $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::date[],
                          $17::text[], $18::jsonb[])
     ON CONFLICT (partition_id, study_uid) DO UPDATE SET updated_at = now()
     RETURNING pk, partition_id, study_uid`,
    [
      rows.map((r) => r.partitionId),
      rows.map((r) => patientPks.get(patientKey(r))),
      rows.map((r) => r.studyUid),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.StudyDate)) ?? null),
      rows.map((r) => sqlTime(stringValue(r.dataset, Tag.StudyTime)) ?? null),
      rows.map((r) => s(r, Tag.AccessionNumber)),
      rows.map((r) => s(r, Tag.StudyID)),
      rows.map((r) => s(r, Tag.StudyDescription)),
      rows.map((r) => s(r, Tag.ReferringPhysicianName)),
      rows.map((r) => normalizeForMatching(stringValue(r.dataset, Tag.ReferringPhysicianName)) ?? null),
      rows.map((r) => s(r, Tag.TimezoneOffsetFromUTC)),
      rows.map((r) => stringValue(r.dataset, Tag.PatientID) ?? ''),
      rows.map((r) => stringValue(r.dataset, Tag.IssuerOfPatientID) ?? ''),
      rows.map((r) => s(r, Tag.PatientName)),
      rows.map((r) => normalizeForMatching(stringValue(r.dataset, Tag.PatientName)) ?? null),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.PatientBirthDate)) ?? null),
      rows.map((r) => s(r, Tag.PatientSex)),
      rows.map((r) => JSON.stringify(attributesOfLevel(r.dataset, 'study'))),
    ],
  );
  return new Map(result.map((row) => [keyOf(row.partition_id, row.study_uid), String(row.pk)]));
}

async function upsertSeries(
  tx: Sql,
  records: readonly InstanceRecord[],
  studyPks: Map<string, string>,
): Promise<Map<string, string>> {
  const byKey = new Map<string, InstanceRecord>();
  for (const r of records)
    if (!byKey.has(keyOf(r.partitionId, r.seriesUid))) byKey.set(keyOf(r.partitionId, r.seriesUid), r);
  const rows = [...byKey.values()];
  const s = (r: InstanceRecord, tag: string) => stringValue(r.dataset, tag) ?? null;
  const requestIds = (r: InstanceRecord, tag: string) =>
    `{${sequenceItems(r.dataset, Tag.RequestAttributesSequence)
      .map((item) => stringValue(item, tag))
      .filter((v): v is string => v !== undefined)
      .map((v) => JSON.stringify(v))
      .join(',')}}`;
  const result = await tx.query<{ pk: bigint; partition_id: number; series_uid: string }>(
    `INSERT INTO series (partition_id, study_pk, series_uid, modality, series_number, series_description, body_part_examined,
                         performed_start_date, performed_start_time, station_name, institution_name,
                         scheduled_procedure_step_ids, requested_procedure_ids, attributes)
     SELECT p, st, uid, m, n, d, b, pd, pt, sn, i, sps::text[], rp::text[], a
     FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::date[], $9::time[],
                 $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[]) AS u(p, st, uid, m, n, d, b, pd, pt, sn, i, sps, rp, a)
     ON CONFLICT (partition_id, series_uid) DO UPDATE SET updated_at = now()
     RETURNING pk, partition_id, series_uid`,
    [
      rows.map((r) => r.partitionId),
      rows.map((r) => studyPks.get(keyOf(r.partitionId, r.studyUid))),
      rows.map((r) => r.seriesUid),
      rows.map((r) => s(r, Tag.Modality)),
      rows.map((r) => intValue(r.dataset, Tag.SeriesNumber) ?? null),
      rows.map((r) => s(r, Tag.SeriesDescription)),
      rows.map((r) => s(r, Tag.BodyPartExamined)),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.PerformedProcedureStepStartDate)) ?? null),
      rows.map((r) => sqlTime(stringValue(r.dataset, Tag.PerformedProcedureStepStartTime)) ?? null),
      rows.map((r) => s(r, Tag.StationName)),
      rows.map((r) => s(r, Tag.InstitutionName)),
      rows.map((r) => requestIds(r, Tag.ScheduledProcedureStepID)),
      rows.map((r) => requestIds(r, Tag.RequestedProcedureID)),
      rows.map((r) => JSON.stringify(attributesOfLevel(r.dataset, 'series'))),
    ],
  );
  return new Map(result.map((row) => [keyOf(row.partition_id, row.series_uid), String(row.pk)]));
}

async function insertInstances(
  tx: Sql,
  records: readonly InstanceRecord[],
  studyPks: Map<string, string>,
  seriesPks: Map<string, string>,
): Promise<IndexOutcome[]> {
  // The first record of a SOP Instance UID in the batch is the one inserted; later ones are judged like
  // any re-delivery against what is then in the index.
  const firstOf = new Map<string, InstanceRecord>();
  for (const r of records)
    if (!firstOf.has(keyOf(r.partitionId, r.sopUid))) firstOf.set(keyOf(r.partitionId, r.sopUid), r);
  const rows = [...firstOf.values()];
  const inserted = await tx.query<{ pk: bigint; partition_id: number; sop_uid: string }>(
    `INSERT INTO instance (partition_id, study_pk, series_pk, sop_uid, sop_class_uid, instance_number, transfer_syntax_uid,
                           number_of_frames, rows, columns, content_date, content_time, blob_key, size, sha256, ingest_id, attributes)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::int[],
                          $9::int[], $10::int[], $11::date[], $12::time[], $13::text[], $14::bigint[], $15::text[], $16::text[],
                          $17::jsonb[])
     ON CONFLICT (partition_id, sop_uid) DO NOTHING
     RETURNING pk, partition_id, sop_uid`,
    [
      rows.map((r) => r.partitionId),
      rows.map((r) => studyPks.get(keyOf(r.partitionId, r.studyUid))),
      rows.map((r) => seriesPks.get(keyOf(r.partitionId, r.seriesUid))),
      rows.map((r) => r.sopUid),
      rows.map((r) => r.sopClassUid),
      rows.map((r) => intValue(r.dataset, Tag.InstanceNumber) ?? null),
      rows.map((r) => r.transferSyntaxUid),
      rows.map((r) => intValue(r.dataset, Tag.NumberOfFrames) ?? null),
      rows.map((r) => intValue(r.dataset, Tag.Rows) ?? null),
      rows.map((r) => intValue(r.dataset, Tag.Columns) ?? null),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.ContentDate)) ?? null),
      rows.map((r) => sqlTime(stringValue(r.dataset, Tag.ContentTime)) ?? null),
      rows.map((r) => r.blobKey),
      rows.map((r) => String(r.size)),
      rows.map((r) => r.sha256),
      rows.map((r) => r.ingestId),
      rows.map((r) => JSON.stringify(attributesOfLevel(r.dataset, 'instance'))),
    ],
  );
  const newPk = new Map(inserted.map((row) => [keyOf(row.partition_id, row.sop_uid), String(row.pk)]));
  const fresh = rows.filter((r) => newPk.has(keyOf(r.partitionId, r.sopUid)));
  if (fresh.length > 0) {
    await tx.execute(
      `INSERT INTO instance_metadata (instance_pk, dataset_json, pixel_index, bulk)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`,
      [
        fresh.map((r) => newPk.get(keyOf(r.partitionId, r.sopUid))),
        fresh.map((r) => r.datasetJson ?? JSON.stringify(r.dataset)),
        fresh.map((r) => r.pixelIndex ?? null),
        fresh.map((r) => r.bulk ?? null),
      ],
    );
  }
  const existing = await existingInstances(
    tx,
    records.filter(
      (r) => !(newPk.has(keyOf(r.partitionId, r.sopUid)) && firstOf.get(keyOf(r.partitionId, r.sopUid)) === r),
    ),
  );
  return records.map((r): IndexOutcome => {
    const key = keyOf(r.partitionId, r.sopUid);
    if (newPk.has(key) && firstOf.get(key) === r) return { sopUid: r.sopUid, ingestId: r.ingestId, outcome: 'indexed' };
    const current = existing.get(key) ?? firstOf.get(key);
    const before = current && 'sha256' in current ? current : undefined;
    if (before && before.sha256 === r.sha256 && before.studyUid === r.studyUid && before.seriesUid === r.seriesUid) {
      return { sopUid: r.sopUid, ingestId: r.ingestId, outcome: 'already-indexed' };
    }
    return {
      sopUid: r.sopUid,
      ingestId: r.ingestId,
      outcome: 'conflict',
      reason: 'an instance with this SOP Instance UID and other content is already stored',
    };
  });
}

async function existingInstances(
  tx: Sql,
  records: readonly InstanceRecord[],
): Promise<Map<string, { sha256: string; studyUid: string; seriesUid: string }>> {
  if (records.length === 0) return new Map();
  const rows = await tx.query<{
    partition_id: number;
    sop_uid: string;
    sha256: string;
    study_uid: string;
    series_uid: string;
  }>(
    `SELECT i.partition_id, i.sop_uid, i.sha256, st.study_uid, se.series_uid
     FROM instance i JOIN study st ON st.pk = i.study_pk JOIN series se ON se.pk = i.series_pk
     WHERE (i.partition_id, i.sop_uid) IN (SELECT * FROM unnest($1::int[], $2::text[]))`,
    [records.map((r) => r.partitionId), records.map((r) => r.sopUid)],
  );
  return new Map(
    rows.map((row) => [
      keyOf(row.partition_id, row.sop_uid),
      { sha256: row.sha256, studyUid: row.study_uid, seriesUid: row.series_uid },
    ]),
  );
}

/**
 * Recomputes NumberOfSeriesRelatedInstances, NumberOfStudyRelatedSeries/Instances, ModalitiesInStudy and
 * SOPClassesInStudy (PS3.18 Table 10.6.3-3/-4) for the touched studies and series, and removes series and
 * studies left without instances (a batch whose instances all conflicted, or a delete).
 */
export async function refreshComputedAttributes(tx: Sql, studyPks: string[], seriesPks: string[]): Promise<void> {
  if (seriesPks.length > 0) {
    await tx.execute(
      `UPDATE series s SET num_instances = (SELECT count(*) FROM instance i WHERE i.series_pk = s.pk)
       WHERE s.pk = ANY($1::bigint[])`,
      [seriesPks],
    );
    await tx.execute(`DELETE FROM series WHERE pk = ANY($1::bigint[]) AND num_instances = 0`, [seriesPks]);
  }
  if (studyPks.length > 0) {
    await tx.execute(
      `UPDATE study st SET
         num_series = (SELECT count(*) FROM series s WHERE s.study_pk = st.pk),
         num_instances = (SELECT count(*) FROM instance i WHERE i.study_pk = st.pk),
         modalities = COALESCE((SELECT array_agg(DISTINCT s.modality ORDER BY s.modality) FROM series s
                                WHERE s.study_pk = st.pk AND s.modality IS NOT NULL), '{}'),
         sop_classes = COALESCE((SELECT array_agg(DISTINCT i.sop_class_uid ORDER BY i.sop_class_uid) FROM instance i
                                 WHERE i.study_pk = st.pk), '{}')
       WHERE st.pk = ANY($1::bigint[])`,
      [studyPks],
    );
    await tx.execute(`DELETE FROM study WHERE pk = ANY($1::bigint[]) AND num_series = 0`, [studyPks]);
  }
}
