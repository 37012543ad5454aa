import { Tag } from '@pacs/dicom';
import { attributesOfLevel, patientLevelTags } from './attribute-levels';
import {
  intValue,
  personNameGroups,
  personNameKeys,
  personNameNorm,
  sequenceItems,
  sqlDate,
  sqlTime,
  stringValue,
  timezoneOffsetMinutes,
  type DicomJsonDataset,
} from './dataset-values';
import {
  extendedElementsOf,
  extendedTagsJsonSql,
  extendedTagsOfJson,
  writeExtendedValues,
  writeLockKey,
  type ExtendedTagColumn,
} from './extended-query-tags';
import { pgTextArray } from './pg-text-array';
import { requestAttributeItemTags } from './request-attributes';
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

/** An upserted row: its pk, and whether this batch created it (PostgreSQL: xmax = 0 for a row just inserted). */
interface Upserted {
  pk: string;
  inserted: boolean;
}

/**
 * Writes a batch of stored instances into the index in ONE transaction, with one multi-row statement per
 * table (unnest arrays), and keeps the computed attributes (counts, ModalitiesInStudy, SOPClassesInStudy)
 * current. Idempotent: an instance indexed before with the same content is reported 'already-indexed';
 * the same SOP Instance UID with other content is a 'conflict' and changes nothing.
 *
 * Patients: a patient's demographics are those of the first instance stored for it, replaced by every
 * patient.updated (updatePatient); a study's patient columns and Patient module attributes are the
 * patient's. Instances of a merged patient (mergePatients) are filed under the surviving patient.
 */
export async function writeInstances(sql: Sql, records: readonly InstanceRecord[]): Promise<IndexOutcome[]> {
  if (records.length === 0) return [];
  return sql.transaction(async (tx) => {
    const { tags, targets } = await prelude(tx, records);
    const patients = await upsertPatients(tx, records, targets);
    const studies = await upsertStudies(tx, records, patients, tags);
    const series = await upsertSeries(tx, records, studies, tags);
    const outcomes = await insertInstances(tx, records, studies, series, tags);
    await refreshComputedAttributes(
      tx,
      [...new Set([...studies.values()].map((s) => s.pk))],
      [...new Set([...series.values()].map((s) => s.pk))],
      // A series or study can be left empty only when instances of it conflicted.
      { removeEmpty: outcomes.some((o) => o.outcome === 'conflict') },
    );
    return outcomes;
  });
}

const identityKey = (partitionId: number, patientId: string, issuer: string) => keyOf(partitionId, patientId, issuer);
const patientKey = (r: InstanceRecord) =>
  identityKey(
    r.partitionId,
    stringValue(r.dataset, Tag.PatientID) ?? '',
    stringValue(r.dataset, Tag.IssuerOfPatientID) ?? '',
  );

/** What a study takes from its patient's row besides the columns the INSERT joins in. */
interface PatientRef {
  pk: string;
  /** The patient's PatientName element (for the study's fuzzy-matching keys). */
  name: unknown;
}

type Identity = { partitionId: number; patientId: string; issuer: string };
type MergeJson = Identity & { survivingPatientId: string; survivingIssuer: string };

const parsedJson = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/**
 * The write's first statement, one round trip: takes the write lock shared (writeLockKey), reads the declared
 * extended query tags, and the merges of the batch's patients (instances of a merged patient are filed under the
 * surviving one). Returns the tags and, per record patient key, the identity its study goes under.
 */
async function prelude(
  tx: Sql,
  records: readonly InstanceRecord[],
): Promise<{ tags: ExtendedTagColumn[]; targets: Map<string, Identity> }> {
  const targets = new Map<string, Identity>();
  for (const r of records) {
    targets.set(patientKey(r), {
      partitionId: r.partitionId,
      patientId: stringValue(r.dataset, Tag.PatientID) ?? '',
      issuer: stringValue(r.dataset, Tag.IssuerOfPatientID) ?? '',
    });
  }
  const ids = [...targets.values()];
  const [row] = await tx.query<{ tags: unknown; merges: unknown }>(
    `SELECT pg_advisory_xact_lock_shared($1) AS locked, ${extendedTagsJsonSql} AS tags,
       (SELECT COALESCE(json_agg(json_build_object('partitionId', m.partition_id, 'patientId', m.patient_id,
                 'issuer', m.issuer, 'survivingPatientId', m.surviving_patient_id, 'survivingIssuer', m.surviving_issuer)), '[]')
        FROM patient_merge m JOIN unnest($2::int[], $3::text[], $4::text[]) AS u(p, id, iss)
          ON m.partition_id = u.p AND m.patient_id = u.id AND m.issuer = u.iss) AS merges`,
    [writeLockKey, ids.map((i) => i.partitionId), ids.map((i) => i.patientId), ids.map((i) => i.issuer)],
  );
  for (const m of parsedJson<MergeJson[]>(row!.merges)) {
    targets.set(identityKey(m.partitionId, m.patientId, m.issuer), {
      partitionId: m.partitionId,
      patientId: m.survivingPatientId,
      issuer: m.survivingIssuer,
    });
  }
  return { tags: extendedTagsOfJson(row!.tags), targets };
}

/** Patient-level attributes of a data set, under the identity it is filed under. */
function patientAttributes(ds: DicomJsonDataset, patientId: string, issuer: string): DicomJsonDataset {
  const out = attributesOfLevel(ds, 'patient');
  out[Tag.PatientID] = { vr: 'LO', Value: [patientId] };
  if (issuer !== '') out[Tag.IssuerOfPatientID] = { vr: 'LO', Value: [issuer] };
  return out;
}

/** Returns, per record patient key, the pk and name of the patient row the record's study belongs to. */
async function upsertPatients(
  tx: Sql,
  records: readonly InstanceRecord[],
  targets: Map<string, Identity>,
): Promise<Map<string, PatientRef>> {
  const byTarget = new Map<string, { target: Identity; r: InstanceRecord }>();
  for (const r of records) {
    const target = targets.get(patientKey(r))!;
    const key = identityKey(target.partitionId, target.patientId, target.issuer);
    if (!byTarget.has(key)) byTarget.set(key, { target, r });
  }
  const rows = [...byTarget.values()];
  const nameOf = (r: InstanceRecord) => personNameGroups(r.dataset[Tag.PatientName]?.Value?.[0]);
  // DO UPDATE (not DO NOTHING) so that RETURNING gives existing rows too; the demographics of an existing
  // patient are not overwritten by a later instance: patient.updated is what changes them.
  const result = await tx.query<{
    pk: bigint;
    partition_id: number;
    patient_id: string;
    issuer: string;
    name: unknown;
  }>(
    `INSERT INTO patient (partition_id, patient_id, issuer, patient_name, patient_name_norm, patient_birth_date, patient_sex, attributes)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::jsonb[])
     ON CONFLICT (partition_id, patient_id, issuer) DO UPDATE SET updated_at = now()
     RETURNING pk, partition_id, patient_id, issuer, attributes -> '${Tag.PatientName}' -> 'Value' -> 0 AS name`,
    [
      rows.map(({ target }) => target.partitionId),
      rows.map(({ target }) => target.patientId),
      rows.map(({ target }) => target.issuer),
      rows.map(({ r }) => stringValue(r.dataset, Tag.PatientName) ?? null),
      rows.map(({ r }) => personNameNorm(nameOf(r)[0]) ?? null),
      rows.map(({ r }) => sqlDate(stringValue(r.dataset, Tag.PatientBirthDate)) ?? null),
      rows.map(({ r }) => stringValue(r.dataset, Tag.PatientSex) ?? null),
      rows.map(({ r, target }) => JSON.stringify(patientAttributes(r.dataset, target.patientId, target.issuer))),
    ],
  );
  const byIdentity = new Map(
    result.map((p) => [identityKey(p.partition_id, p.patient_id, p.issuer), { pk: String(p.pk), name: p.name }]),
  );
  const out = new Map<string, PatientRef>();
  for (const [key, target] of targets) {
    const ref = byIdentity.get(identityKey(target.partitionId, target.patientId, target.issuer));
    if (ref) out.set(key, ref);
  }
  return out;
}

/** The attributes a new study keeps: its Study IE modules and the declared study-level extended tags. */
function studyAttributes(ds: DicomJsonDataset, tags: readonly ExtendedTagColumn[]): DicomJsonDataset {
  const out = attributesOfLevel(ds, 'study');
  // The Patient module comes from the patient row (joined in the INSERT), the current demographics.
  for (const tag of patientLevelTags) delete out[tag];
  return { ...out, ...extendedElementsOf(ds, 'study', tags) };
}

async function upsertStudies(
  tx: Sql,
  records: readonly InstanceRecord[],
  patients: Map<string, PatientRef>,
  tags: readonly ExtendedTagColumn[],
): Promise<Map<string, Upserted>> {
  const byKey = new Map<string, InstanceRecord>();
  for (const r of records)
    if (!byKey.has(keyOf(r.partitionId, r.studyUid))) byKey.set(keyOf(r.partitionId, r.studyUid), r);
  const rows = [...byKey.values()];
  const s = (r: InstanceRecord, tag: string) => stringValue(r.dataset, tag) ?? null;
  const referring = (r: InstanceRecord) => personNameGroups(r.dataset[Tag.ReferringPhysicianName]?.Value?.[0]);
  const result = await tx.query<{ pk: bigint; partition_id: number; study_uid: string; inserted: boolean }>(
    `INSERT INTO study (partition_id, patient_pk, study_uid, study_date, study_time, accession_number, study_id, study_description,
                        referring_physician_name, referring_physician_norm, referring_physician_keys,
                        timezone_offset_from_utc, timezone_offset_minutes,
                        patient_id, issuer, patient_name, patient_name_norm, patient_name_keys, patient_birth_date, patient_sex,
                        attributes)
     SELECT u.p, u.patient_pk, u.uid, u.d, u.t, u.acc, u.sid, u.descr, u.ref, u.ref_norm, u.ref_keys::text[], u.tz, u.tz_minutes,
            pa.patient_id, pa.issuer, pa.patient_name, pa.patient_name_norm, u.name_keys::text[], pa.patient_birth_date,
            pa.patient_sex, u.a || COALESCE(pa.attributes, '{}'::jsonb)
     FROM unnest($1::int[], $2::bigint[], $3::text[], $4::date[], $5::time[], $6::text[], $7::text[], $8::text[],
                 $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[], $15::jsonb[])
            AS u(p, patient_pk, uid, d, t, acc, sid, descr, ref, ref_norm, ref_keys, tz, tz_minutes, name_keys, a)
       JOIN patient pa ON pa.pk = u.patient_pk
     ON CONFLICT (partition_id, study_uid) DO UPDATE SET updated_at = now()
     RETURNING pk, partition_id, study_uid, (xmax = 0) AS inserted`,
    [
      rows.map((r) => r.partitionId),
      rows.map((r) => patients.get(patientKey(r))!.pk),
      rows.map((r) => r.studyUid),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.StudyDate)) ?? null),
      rows.map((r) => sqlTime(stringValue(r.dataset, Tag.StudyTime)) ?? null),
      rows.map((r) => s(r, Tag.AccessionNumber)),
      rows.map((r) => s(r, Tag.StudyID)),
      rows.map((r) => s(r, Tag.StudyDescription)),
      rows.map((r) => s(r, Tag.ReferringPhysicianName)),
      rows.map((r) => personNameNorm(referring(r)[0]) ?? null),
      rows.map((r) => pgTextArray(personNameKeys(referring(r)))),
      rows.map((r) => s(r, Tag.TimezoneOffsetFromUTC)),
      rows.map((r) => timezoneOffsetMinutes(stringValue(r.dataset, Tag.TimezoneOffsetFromUTC)) ?? null),
      rows.map((r) => pgTextArray(personNameKeys(personNameGroups(patients.get(patientKey(r))!.name)))),
      rows.map((r) => JSON.stringify(studyAttributes(r.dataset, tags))),
    ],
  );
  const out = new Map(
    result.map((row) => [keyOf(row.partition_id, row.study_uid), { pk: String(row.pk), inserted: row.inserted }]),
  );
  await writeExtendedValues(
    tx,
    'study',
    tags,
    rows
      .filter((r) => out.get(keyOf(r.partitionId, r.studyUid))?.inserted)
      .map((r) => ({ entityPk: out.get(keyOf(r.partitionId, r.studyUid))!.pk, dataset: r.dataset })),
  );
  return out;
}

/**
 * RequestAttributesSequence as the index keeps it: one object per item with the first value of each item key
 * it matches (request-attributes.ts), so that keys of one query item match in one stored item.
 */
function requestAttributes(ds: DicomJsonDataset): Record<string, string>[] {
  return sequenceItems(ds, Tag.RequestAttributesSequence).map((item) => {
    const out: Record<string, string> = {};
    for (const tag of requestAttributeItemTags) {
      const v = stringValue(item, tag);
      if (v !== undefined) out[tag] = v;
    }
    return out;
  });
}

async function upsertSeries(
  tx: Sql,
  records: readonly InstanceRecord[],
  studies: Map<string, Upserted>,
  tags: readonly ExtendedTagColumn[],
): Promise<Map<string, Upserted>> {
  const byKey = new Map<string, InstanceRecord>();
  for (const r of records)
    if (!byKey.has(keyOf(r.partitionId, r.seriesUid))) byKey.set(keyOf(r.partitionId, r.seriesUid), r);
  const rows = [...byKey.values()];
  const s = (r: InstanceRecord, tag: string) => stringValue(r.dataset, tag) ?? null;
  const result = await tx.query<{ pk: bigint; partition_id: number; series_uid: string; inserted: boolean }>(
    `INSERT INTO series (partition_id, study_pk, series_uid, modality, series_number, series_description, body_part_examined,
                         performed_start_date, performed_start_time, station_name, institution_name, request_attributes, attributes)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::date[], $9::time[],
                          $10::text[], $11::text[], $12::jsonb[], $13::jsonb[])
     ON CONFLICT (partition_id, series_uid) DO UPDATE SET updated_at = now()
     RETURNING pk, partition_id, series_uid, (xmax = 0) AS inserted`,
    [
      rows.map((r) => r.partitionId),
      rows.map((r) => studies.get(keyOf(r.partitionId, r.studyUid))!.pk),
      rows.map((r) => r.seriesUid),
      rows.map((r) => s(r, Tag.Modality)),
      rows.map((r) => intValue(r.dataset, Tag.SeriesNumber) ?? null),
      rows.map((r) => s(r, Tag.SeriesDescription)),
      rows.map((r) => s(r, Tag.BodyPartExamined)),
      rows.map((r) => sqlDate(stringValue(r.dataset, Tag.PerformedProcedureStepStartDate)) ?? null),
      rows.map((r) => sqlTime(stringValue(r.dataset, Tag.PerformedProcedureStepStartTime)) ?? null),
      rows.map((r) => s(r, Tag.StationName)),
      rows.map((r) => s(r, Tag.InstitutionName)),
      rows.map((r) => JSON.stringify(requestAttributes(r.dataset))),
      rows.map((r) =>
        JSON.stringify({ ...attributesOfLevel(r.dataset, 'series'), ...extendedElementsOf(r.dataset, 'series', tags) }),
      ),
    ],
  );
  const out = new Map(
    result.map((row) => [keyOf(row.partition_id, row.series_uid), { pk: String(row.pk), inserted: row.inserted }]),
  );
  await writeExtendedValues(
    tx,
    'series',
    tags,
    rows
      .filter((r) => out.get(keyOf(r.partitionId, r.seriesUid))?.inserted)
      .map((r) => ({ entityPk: out.get(keyOf(r.partitionId, r.seriesUid))!.pk, dataset: r.dataset })),
  );
  return out;
}

async function insertInstances(
  tx: Sql,
  records: readonly InstanceRecord[],
  studies: Map<string, Upserted>,
  series: Map<string, Upserted>,
  tags: readonly ExtendedTagColumn[],
): Promise<IndexOutcome[]> {
  // The first record of a SOP Instance UID in the batch is the one inserted; later ones are judged like
  // any re-delivery against what is then in the index.
  const firstOf = new Map<string, InstanceRecord>();
  for (const r of records)
    if (!firstOf.has(keyOf(r.partitionId, r.sopUid))) firstOf.set(keyOf(r.partitionId, r.sopUid), r);
  const rows = [...firstOf.values()];
  const params: unknown[] = [
    rows.map((r) => r.partitionId),
    rows.map((r) => studies.get(keyOf(r.partitionId, r.studyUid))!.pk),
    rows.map((r) => series.get(keyOf(r.partitionId, r.seriesUid))!.pk),
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
    // One JSON array, parsed once, rather than a jsonb[] literal of escaped documents.
    JSON.stringify(
      rows.map((r) => ({
        ...attributesOfLevel(r.dataset, 'instance'),
        ...extendedElementsOf(r.dataset, 'instance', tags),
      })),
    ),
  ];
  // The data sets are kB each: bound one per parameter (multi-row VALUES) rather than as a text[] literal whose
  // quoting and parsing would cost more than the insert. Instances and their metadata go in one statement.
  const metadataRows = rows.map((r) => {
    const n = params.push(r.sopUid, r.datasetJson ?? JSON.stringify(r.dataset), r.pixelIndex ?? null, r.bulk ?? null);
    return `($${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  const inserted = await tx.query<{ pk: bigint; partition_id: number; sop_uid: string }>(
    `WITH i AS (
       INSERT INTO instance (partition_id, study_pk, series_pk, sop_uid, sop_class_uid, instance_number, transfer_syntax_uid,
                             number_of_frames, rows, columns, content_date, content_time, blob_key, size, sha256, ingest_id, attributes)
       SELECT u.p, u.st, u.se, u.sop, u.cls, u.num, u.ts, u.frames, u.r, u.c, u.d, u.t, u.blob, u.size, u.sha, u.ingest, a.attributes
       FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::int[],
                   $9::int[], $10::int[], $11::date[], $12::time[], $13::text[], $14::bigint[], $15::text[], $16::text[])
              WITH ORDINALITY AS u(p, st, se, sop, cls, num, ts, frames, r, c, d, t, blob, size, sha, ingest, n)
         JOIN jsonb_array_elements($17::jsonb) WITH ORDINALITY AS a(attributes, n) ON a.n = u.n
       ON CONFLICT (partition_id, sop_uid) DO NOTHING
       RETURNING pk, partition_id, sop_uid
     ), m AS (
       INSERT INTO instance_metadata (instance_pk, dataset_json, pixel_index, bulk)
       SELECT i.pk, v.dataset_json, v.pixel_index, v.bulk
       FROM i JOIN (VALUES ${metadataRows.join(', ')}) AS v(sop_uid, dataset_json, pixel_index, bulk) ON v.sop_uid = i.sop_uid
     )
     SELECT pk, partition_id, sop_uid FROM i`,
    params,
  );
  const newPk = new Map(inserted.map((row) => [keyOf(row.partition_id, row.sop_uid), String(row.pk)]));
  const fresh = rows.filter((r) => newPk.has(keyOf(r.partitionId, r.sopUid)));
  if (fresh.length > 0) {
    await writeExtendedValues(
      tx,
      'instance',
      tags,
      fresh.map((r) => ({ entityPk: newPk.get(keyOf(r.partitionId, r.sopUid))!, dataset: r.dataset })),
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
 * SOPClassesInStudy (PS3.18 Table 10.6.3-3/-4) of the touched studies and series from what they hold now, in one
 * statement, and removes the series and studies left without instances (a batch whose instances all conflicted,
 * or a delete). Recounting rather than adjusting keeps it right whatever was applied twice.
 */
export async function refreshComputedAttributes(
  tx: Sql,
  studyPks: string[],
  seriesPks: string[],
  options: { removeEmpty?: boolean } = { removeEmpty: true },
): Promise<void> {
  // The study's figures come from the instances themselves: the series rows updated by the same statement are not
  // visible to it (a series without instances is about to go, and counts for nothing).
  await tx.execute(
    `WITH s AS (
       UPDATE series s SET num_instances = (SELECT count(*) FROM instance i WHERE i.series_pk = s.pk)
       WHERE s.pk = ANY($1::bigint[])
     )
     UPDATE study st SET
       num_series = (SELECT count(DISTINCT i.series_pk) FROM instance i WHERE i.study_pk = st.pk),
       num_instances = (SELECT count(*) FROM instance i WHERE i.study_pk = st.pk),
       modalities = COALESCE((SELECT array_agg(DISTINCT se.modality ORDER BY se.modality) FROM series se
                              WHERE se.study_pk = st.pk AND se.modality IS NOT NULL
                                AND EXISTS (SELECT 1 FROM instance i WHERE i.series_pk = se.pk)), '{}'),
       sop_classes = COALESCE((SELECT array_agg(DISTINCT i.sop_class_uid ORDER BY i.sop_class_uid) FROM instance i
                               WHERE i.study_pk = st.pk), '{}')
     WHERE st.pk = ANY($2::bigint[])`,
    [seriesPks, studyPks],
  );
  if (options.removeEmpty) {
    await tx.execute(`DELETE FROM series WHERE pk = ANY($1::bigint[]) AND num_instances = 0`, [seriesPks]);
    await tx.execute(`DELETE FROM study WHERE pk = ANY($1::bigint[]) AND num_instances = 0`, [studyPks]);
  }
}
