// Patient events from the source of truth (RIS / EHR over HL7 v2, published by the hl7 service): new
// demographics (patient.updated, e.g. ADT^A08) and merges (patients.merged, e.g. ADT^A40). The index keeps
// the current Patient module on the patient row and copies it into the denormalised patient columns and
// the attributes of the patient's studies, so that QIDO-RS matches and returns the current values. The
// stored originals stay as they were received.
import { Tag } from '@pacs/dicom';
import { patientLevelTags } from './attribute-levels';
import {
  personNameGroups,
  personNameKeys,
  personNameNorm,
  sqlDate,
  stringValue,
  type DicomJsonDataset,
} from './dataset-values';
import { pgTextArray } from './pg-text-array';
import type { Sql } from './sql';

/** A patient as the events name it: Patient ID qualified by Issuer of Patient ID ('' when none). */
export interface PatientIdentity {
  partitionId: number;
  patientId: string;
  issuer: string;
}

export interface PatientUpdate extends PatientIdentity {
  /**
   * The new Patient module as DICOM JSON: the attributes it holds replace the current ones, and one present
   * without a value clears it. Attributes outside the Patient module and the identity itself are ignored.
   */
  module: DicomJsonDataset;
  /** When the change happened at the source (Unix ms): an update older than the one applied is stale. */
  occurredAt: number;
}

export type PatientUpdateOutcome =
  /** The patient row and `studies` studies now show the update. */
  | { kind: 'applied'; studies: number }
  /** A newer update was applied already: nothing changed. */
  | { kind: 'stale' }
  /** The patient was merged into another one: its identity is retired, nothing changed. */
  | { kind: 'merged'; into: PatientIdentity };

/** The columns a patient's studies copy from its attributes. */
function patientColumns(attributes: DicomJsonDataset) {
  const nameGroups = personNameGroups(attributes[Tag.PatientName]?.Value?.[0]);
  return {
    name: stringValue(attributes, Tag.PatientName) ?? null,
    norm: personNameNorm(nameGroups[0]) ?? null,
    keys: pgTextArray(personNameKeys(nameGroups)),
    birthDate: sqlDate(stringValue(attributes, Tag.PatientBirthDate)) ?? null,
    sex: stringValue(attributes, Tag.PatientSex) ?? null,
  };
}

const identityElements = (patientId: string, issuer: string): DicomJsonDataset => ({
  [Tag.PatientID]: { vr: 'LO', Value: [patientId] },
  ...(issuer !== '' ? { [Tag.IssuerOfPatientID]: { vr: 'LO', Value: [issuer] } } : {}),
});

/** Sets the patient columns and the Patient module of every study of `patientPk` from the patient's attributes. */
async function copyToStudies(
  tx: Sql,
  patientPk: string,
  identity: { patientId: string; issuer: string },
  attributes: DicomJsonDataset,
  fromPatientPk = patientPk,
): Promise<number> {
  const c = patientColumns(attributes);
  return tx.execute(
    `UPDATE study SET patient_pk = $1::bigint, patient_id = $3, issuer = $4, patient_name = $5, patient_name_norm = $6,
            patient_name_keys = $7::text[], patient_birth_date = $8::date, patient_sex = $9,
            attributes = (COALESCE(attributes, '{}'::jsonb) - $11::text[]) || $10::jsonb, updated_at = now()
     WHERE patient_pk = $2::bigint`,
    [
      patientPk,
      fromPatientPk,
      identity.patientId,
      identity.issuer,
      c.name,
      c.norm,
      c.keys,
      c.birthDate,
      c.sex,
      JSON.stringify(attributes),
      // The Patient module is replaced as a whole: what the patient no longer has, its studies lose too.
      [...patientLevelTags],
    ],
  );
}

/** Where a retired (merged) identity went, if it was merged. */
async function mergedInto(tx: Sql, who: PatientIdentity): Promise<PatientIdentity | undefined> {
  const [row] = await tx.query<{ surviving_patient_id: string; surviving_issuer: string }>(
    `SELECT surviving_patient_id, surviving_issuer FROM patient_merge WHERE partition_id = $1 AND patient_id = $2 AND issuer = $3`,
    [who.partitionId, who.patientId, who.issuer],
  );
  return row
    ? { partitionId: who.partitionId, patientId: row.surviving_patient_id, issuer: row.surviving_issuer }
    : undefined;
}

/**
 * Applies new demographics (patient.updated) in one transaction: the patient row (created when the index has
 * not seen the patient yet), and the patient columns and Patient module of all its studies. Idempotent, and
 * ordered by `occurredAt`: the same update again changes nothing new, an older one is 'stale'.
 */
export async function updatePatient(sql: Sql, update: PatientUpdate): Promise<PatientUpdateOutcome> {
  return sql.transaction(async (tx) => {
    const into = await mergedInto(tx, update);
    if (into) return { kind: 'merged', into };
    const [current] = await tx.query<{
      pk: bigint;
      attributes: DicomJsonDataset | null;
      source_updated_at: bigint | string | null;
    }>(
      `SELECT pk, attributes, source_updated_at FROM patient
       WHERE partition_id = $1 AND patient_id = $2 AND issuer = $3 FOR UPDATE`,
      [update.partitionId, update.patientId, update.issuer],
    );
    if (current?.source_updated_at != null && Number(current.source_updated_at) > update.occurredAt) {
      return { kind: 'stale' };
    }
    const attributes: DicomJsonDataset = { ...(current?.attributes ?? {}) };
    for (const [tag, element] of Object.entries(update.module)) {
      if (!patientLevelTags.has(tag) || tag === Tag.PatientID || tag === Tag.IssuerOfPatientID) continue;
      // PS3.18 §F.2.5: an element without a Value is present and empty, which is what "cleared" means.
      attributes[tag] = element.Value === undefined || element.Value.length === 0 ? { vr: element.vr } : element;
    }
    Object.assign(attributes, identityElements(update.patientId, update.issuer));
    const c = patientColumns(attributes);
    const [row] = await tx.query<{ pk: bigint }>(
      `INSERT INTO patient (partition_id, patient_id, issuer, patient_name, patient_name_norm, patient_birth_date, patient_sex,
                            attributes, source_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8::jsonb, $9::bigint)
       ON CONFLICT (partition_id, patient_id, issuer) DO UPDATE SET
         patient_name = EXCLUDED.patient_name, patient_name_norm = EXCLUDED.patient_name_norm,
         patient_birth_date = EXCLUDED.patient_birth_date, patient_sex = EXCLUDED.patient_sex,
         attributes = EXCLUDED.attributes, source_updated_at = EXCLUDED.source_updated_at, updated_at = now(),
         -- The same update again leaves the version as it is: what retrieval applies did not change. The first
         -- update from the source makes the record the one retrieval applies (updatedBySource): a new version.
         version = patient.version + CASE WHEN patient.attributes IS DISTINCT FROM EXCLUDED.attributes
                                            OR patient.source_updated_at IS NULL THEN 1 ELSE 0 END
       RETURNING pk`,
      [
        update.partitionId,
        update.patientId,
        update.issuer,
        c.name,
        c.norm,
        c.birthDate,
        c.sex,
        JSON.stringify(attributes),
        String(update.occurredAt),
      ],
    );
    const studies = await copyToStudies(tx, String(row!.pk), update, attributes);
    return { kind: 'applied', studies };
  });
}

export interface PatientMerge {
  partitionId: number;
  /** The patient that remains. */
  surviving: { patientId: string; issuer: string };
  /** The patient merged into it, whose identity is retired. */
  merged: { patientId: string; issuer: string };
  /** The merge's id at the source (kept with the merge record). */
  eventId: string;
}

export interface PatientMergeOutcome {
  /** Studies moved to the surviving patient by this call (0 when the merge was applied before). */
  studies: number;
  /** The patient the studies now belong to (the surviving one, or where it was merged itself). */
  survivor: PatientIdentity;
}

/**
 * Merges two patients (patients.merged) in one transaction: every study of the merged patient moves to the
 * surviving one and takes its patient columns and Patient module; the merged patient row is removed, or,
 * when the index has no surviving patient yet, becomes it (renamed). The merge is recorded, so instances
 * stored later under the merged patient's identifiers are filed under the survivor, and patient.updated for
 * the merged identity is ignored. Merging into a patient that was itself merged follows the chain.
 * Idempotent: applying a merge again moves nothing.
 */
export async function mergePatients(sql: Sql, merge: PatientMerge): Promise<PatientMergeOutcome> {
  return sql.transaction(async (tx) => {
    const merged: PatientIdentity = { partitionId: merge.partitionId, ...merge.merged };
    let survivor: PatientIdentity = { partitionId: merge.partitionId, ...merge.surviving };
    for (let hops = 0; hops < 32; hops++) {
      const next = await mergedInto(tx, survivor);
      if (!next) break;
      survivor = next;
    }
    if (survivor.patientId === merged.patientId && survivor.issuer === merged.issuer) {
      return { studies: 0, survivor };
    }
    const rows = await tx.query<{
      pk: bigint;
      patient_id: string;
      issuer: string;
      attributes: DicomJsonDataset | null;
    }>(
      `SELECT pk, patient_id, issuer, attributes FROM patient
       WHERE partition_id = $1 AND ((patient_id = $2 AND issuer = $3) OR (patient_id = $4 AND issuer = $5))
       ORDER BY pk FOR UPDATE`,
      [merge.partitionId, survivor.patientId, survivor.issuer, merged.patientId, merged.issuer],
    );
    const find = (who: PatientIdentity) => rows.find((r) => r.patient_id === who.patientId && r.issuer === who.issuer);
    const from = find(merged);
    const into = find(survivor);
    let studies = 0;
    if (from && into) {
      const attributes = { ...(into.attributes ?? {}), ...identityElements(survivor.patientId, survivor.issuer) };
      studies = await copyToStudies(tx, String(into.pk), survivor, attributes, String(from.pk));
      await tx.execute(`DELETE FROM patient WHERE pk = $1::bigint`, [String(from.pk)]);
    } else if (from) {
      // The index has not seen the survivor: the merged patient's row becomes it.
      const attributes: DicomJsonDataset = { ...(from.attributes ?? {}) };
      delete attributes[Tag.IssuerOfPatientID];
      Object.assign(attributes, identityElements(survivor.patientId, survivor.issuer));
      await tx.execute(
        `UPDATE patient SET patient_id = $2, issuer = $3, attributes = $4::jsonb, updated_at = now(), version = version + 1
         WHERE pk = $1::bigint`,
        [String(from.pk), survivor.patientId, survivor.issuer, JSON.stringify(attributes)],
      );
      studies = await copyToStudies(tx, String(from.pk), survivor, attributes);
    }
    await tx.execute(
      `INSERT INTO patient_merge (partition_id, patient_id, issuer, surviving_patient_id, surviving_issuer, event_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (partition_id, patient_id, issuer) DO UPDATE SET
         surviving_patient_id = EXCLUDED.surviving_patient_id, surviving_issuer = EXCLUDED.surviving_issuer,
         event_id = EXCLUDED.event_id, merged_at = now()`,
      [merge.partitionId, merged.patientId, merged.issuer, survivor.patientId, survivor.issuer, merge.eventId],
    );
    // Identities merged into the merged patient before now lead to the survivor directly.
    await tx.execute(
      `UPDATE patient_merge SET surviving_patient_id = $4, surviving_issuer = $5
       WHERE partition_id = $1 AND surviving_patient_id = $2 AND surviving_issuer = $3`,
      [merge.partitionId, merged.patientId, merged.issuer, survivor.patientId, survivor.issuer],
    );
    return { studies, survivor };
  });
}

/**
 * The patient record a study belongs to now: its identity, its current Patient module (the first instance's,
 * as replaced by patient.updated and merges) and the version of that module. `pk` and `version` together
 * change whenever what retrieval must apply changes: an update bumps the version, a merge moves the study to
 * another row.
 */
export interface PatientRecord {
  pk: string;
  version: number;
  patientId: string;
  issuer: string;
  /**
   * The source of truth (patient.updated, HL7 ADT) has set the record; until then it is the Patient module of
   * the patient's first instance, which other instances need not agree with.
   */
  updatedBySource: boolean;
  /** The Patient module as DICOM JSON (PatientID, and IssuerOfPatientID unless the issuer is ''). */
  module: DicomJsonDataset;
}

/** The patient record of a study (one indexed lookup), for retrieval to apply; undefined for an unknown study. */
export async function findPatientRecord(
  sql: Sql,
  locator: { partitionId: number; studyUid: string },
): Promise<PatientRecord | undefined> {
  const [row] = await sql.query<{
    pk: bigint | string;
    version: number;
    patient_id: string;
    issuer: string;
    attributes: DicomJsonDataset | string | null;
    updated_by_source: boolean;
  }>(
    `SELECT p.pk, p.version, p.patient_id, p.issuer, p.attributes, p.source_updated_at IS NOT NULL AS updated_by_source
     FROM study st JOIN patient p ON p.pk = st.patient_pk
     WHERE st.partition_id = $1 AND st.study_uid = $2`,
    [locator.partitionId, locator.studyUid],
  );
  if (!row) return undefined;
  const attributes = typeof row.attributes === 'string' ? JSON.parse(row.attributes) : row.attributes;
  return {
    pk: String(row.pk),
    version: Number(row.version),
    patientId: row.patient_id,
    issuer: row.issuer,
    updatedBySource: row.updated_by_source,
    module: (attributes ?? {}) as DicomJsonDataset,
  };
}

/** The current Patient module of a study's patient (findPatientRecord's module); undefined for an unknown study. */
export async function findPatientModule(
  sql: Sql,
  locator: { partitionId: number; studyUid: string },
): Promise<DicomJsonDataset | undefined> {
  return (await findPatientRecord(sql, locator))?.module;
}
