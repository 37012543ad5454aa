import { refreshComputedAttributes } from './index-writer';
import type { Sql } from './sql';

/** What to remove: a whole study, a series of it, or one instance. */
export interface DeleteTarget {
  partitionId: number;
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

/** An instance the index no longer has, with where its original is (for the blob store's cleanup). */
export interface DeletedInstance {
  partitionId: number;
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  blobKey: string;
}

/**
 * Removes the instances of the targets from the index in one transaction (their metadata and extended query
 * tag values go with them), recomputes the computed attributes of the studies and series they were in
 * (PS3.18 Table 10.6.3-3/-4), and removes the series and studies left empty. Patients stay: their
 * demographics may come from patient.updated, not from instances. Idempotent: a target that is not in the
 * index (any more) removes nothing. Returns what was removed.
 */
export async function deleteInstances(sql: Sql, targets: readonly DeleteTarget[]): Promise<DeletedInstance[]> {
  if (targets.length === 0) return [];
  return sql.transaction(async (tx) => {
    const removed = await tx.query<{
      partition_id: number;
      study_pk: bigint;
      series_pk: bigint;
      study_uid: string;
      series_uid: string;
      sop_uid: string;
      blob_key: string;
    }>(
      `DELETE FROM instance i
       USING study st, series se, unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS t(p, study, series, sop)
       WHERE st.pk = i.study_pk AND se.pk = i.series_pk
         AND st.partition_id = t.p AND st.study_uid = t.study
         AND (t.series IS NULL OR se.series_uid = t.series)
         AND (t.sop IS NULL OR i.sop_uid = t.sop)
       RETURNING i.partition_id, i.study_pk, i.series_pk, st.study_uid, se.series_uid, i.sop_uid, i.blob_key`,
      [
        targets.map((t) => t.partitionId),
        targets.map((t) => t.studyUid),
        targets.map((t) => t.seriesUid ?? null),
        targets.map((t) => t.sopUid ?? null),
      ],
    );
    if (removed.length === 0) return [];
    await refreshComputedAttributes(
      tx,
      [...new Set(removed.map((r) => String(r.study_pk)))],
      [...new Set(removed.map((r) => String(r.series_pk)))],
    );
    // A DELETE ... USING may see one instance through several targets (a study and one of its instances).
    const unique = new Map(removed.map((r) => [`${r.partition_id}\u0000${r.sop_uid}`, r]));
    return [...unique.values()].map((r) => ({
      partitionId: r.partition_id,
      studyUid: r.study_uid,
      seriesUid: r.series_uid,
      sopUid: r.sop_uid,
      blobKey: r.blob_key,
    }));
  });
}
