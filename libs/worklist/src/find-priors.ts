// Prior studies of a patient, read from the index (read only: the worklist never writes the index's tables).
import { Tag } from '@pacs/dicom';
import { search, type DicomJsonDataset, type Sql } from '@pacs/index';

export interface PriorsQuery {
  readonly partitionId: number;
  readonly patientId: string;
  readonly issuer: string;
  /** Studies to leave out (the current one). */
  readonly excludeStudyUid?: string;
  /** Only studies with one of these modalities (ModalitiesInStudy). */
  readonly modalities?: readonly string[];
  /** Only studies with a series of one of these body parts (BodyPartExamined). */
  readonly bodyParts?: readonly string[];
  /** Only studies before this one's date and time (a study without a date is kept). */
  readonly beforeStudyUid?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface PriorStudy {
  readonly studyUid: string;
  /** The study's attributes as a QIDO-RS study search returns them. */
  readonly dataset: DicomJsonDataset;
}

/** The current study's patient, modalities and body parts, or undefined when the index has no such study. */
export async function studyContext(
  sql: Sql,
  partitionId: number,
  studyUid: string,
): Promise<{ patientId: string; issuer: string; modalities: string[]; bodyParts: string[] } | undefined> {
  const rows = await sql.query<{
    patient_id: string;
    issuer: string;
    modalities: string[] | null;
    body_parts: string[];
  }>(
    `SELECT st.patient_id, st.issuer, st.modalities,
            ARRAY(SELECT DISTINCT se.body_part_examined FROM series se
                  WHERE se.study_pk = st.pk AND se.body_part_examined IS NOT NULL) AS body_parts
     FROM study st WHERE st.partition_id = $1 AND st.study_uid = $2`,
    [partitionId, studyUid],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { patientId: row.patient_id, issuer: row.issuer, modalities: row.modalities ?? [], bodyParts: row.body_parts };
}

/**
 * The patient's other studies, newest first (study date and time, then the most recently indexed), the
 * same patient being the same Patient ID from the same Issuer of Patient ID (PS3.3 C.7.1.1). One SQL
 * statement over the index's indexed columns (study by partition, patient id and issuer), then the study
 * attributes through @pacs/index's search(), so that a prior looks as it does in QIDO-RS.
 */
export async function findPriors(sql: Sql, query: PriorsQuery): Promise<{ studies: PriorStudy[]; more: boolean }> {
  const params: unknown[] = [query.partitionId, query.patientId, query.issuer];
  const p = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['st.partition_id = $1', 'st.patient_id = $2', 'st.issuer = $3'];
  if (query.excludeStudyUid !== undefined) where.push(`st.study_uid <> ${p(query.excludeStudyUid)}`);
  if (query.modalities && query.modalities.length > 0) where.push(`st.modalities && ${p(query.modalities)}::text[]`);
  if (query.bodyParts && query.bodyParts.length > 0) {
    where.push(
      `EXISTS (SELECT 1 FROM series se WHERE se.study_pk = st.pk AND se.body_part_examined = ANY(${p(query.bodyParts)}::text[]))`,
    );
  }
  if (query.beforeStudyUid !== undefined) {
    const ref = p(query.beforeStudyUid);
    where.push(
      `(st.study_date IS NULL OR NOT EXISTS (SELECT 1 FROM study cur WHERE cur.partition_id = $1 AND cur.study_uid = ${ref} AND cur.study_date IS NOT NULL)
        OR (st.study_date, COALESCE(st.study_time, '00:00'::time)) <
           (SELECT cur.study_date, COALESCE(cur.study_time, '00:00'::time) FROM study cur WHERE cur.partition_id = $1 AND cur.study_uid = ${ref}))`,
    );
  }
  const rows = await sql.query<{ study_uid: string }>(
    `SELECT st.study_uid FROM study st WHERE ${where.join(' AND ')}
     ORDER BY st.study_date DESC NULLS LAST, st.study_time DESC NULLS LAST, st.pk DESC
     LIMIT ${p(query.limit + 1)} OFFSET ${p(query.offset)}`,
    params,
  );
  const uids = rows.slice(0, query.limit).map((r) => r.study_uid);
  if (uids.length === 0) return { studies: [], more: false };
  const found = await search(sql, {
    level: 'study',
    partitionId: query.partitionId,
    conditions: [{ kind: 'uidList', tag: Tag.StudyInstanceUID, values: uids }],
    fuzzy: false,
    limit: uids.length,
    offset: 0,
  });
  const byUid = new Map(found.rows.map((r) => [r.studyUid, r.dataset]));
  return {
    studies: uids.flatMap((uid) => {
      const dataset = byUid.get(uid);
      return dataset ? [{ studyUid: uid, dataset }] : [];
    }),
    more: rows.length > query.limit,
  };
}

/** The series of a study, for warming their thumbnails. */
export async function seriesOfStudy(sql: Sql, partitionId: number, studyUid: string): Promise<string[]> {
  const rows = await sql.query<{ series_uid: string }>(
    `SELECT se.series_uid FROM series se JOIN study st ON st.pk = se.study_pk
     WHERE st.partition_id = $1 AND st.study_uid = $2 ORDER BY se.series_number NULLS LAST, se.pk`,
    [partitionId, studyUid],
  );
  return rows.map((r) => r.series_uid);
}
