// What WADO-RS needs from the index: which instances a study / series / instance resource holds, where
// their originals are, and their precomputed metadata and frame / bulk data byte ranges.
import type { Sql } from './sql';

export interface InstanceLocator {
  partitionId: number;
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

export interface StoredInstance {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  blobKey: string;
  size: number;
  sha256: string;
  numberOfFrames: number | null;
}

export interface StoredInstanceDetail extends StoredInstance {
  /** DICOM JSON text, BulkDataURIs relative to the instance's URL. */
  datasetJson: string;
  /** JSON of the pixel data's frame / fragment byte ranges, when the instance has pixel data. */
  pixelIndex: string | null;
  /** JSON of the bulk data elements' byte ranges. */
  bulk: string | null;
}

function where(locator: InstanceLocator): { text: string; params: unknown[] } {
  const params: unknown[] = [locator.partitionId, locator.studyUid];
  let text = 'i.partition_id = $1 AND st.study_uid = $2';
  if (locator.seriesUid !== undefined) {
    params.push(locator.seriesUid);
    text += ` AND se.series_uid = $${params.length}`;
  }
  if (locator.sopUid !== undefined) {
    params.push(locator.sopUid);
    text += ` AND i.sop_uid = $${params.length}`;
  }
  return { text, params };
}

const columns = `st.study_uid AS "studyUid", se.series_uid AS "seriesUid", i.sop_uid AS "sopUid", i.sop_class_uid AS "sopClassUid",
  i.transfer_syntax_uid AS "transferSyntaxUid", i.blob_key AS "blobKey", i.size, i.sha256, i.number_of_frames AS "numberOfFrames"`;
const from = `FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study st ON st.pk = i.study_pk`;
const order = `ORDER BY se.series_number NULLS LAST, se.pk, i.instance_number NULLS LAST, i.pk`;

type Raw<T> = Omit<T, 'size'> & { size: bigint | number | string };
const withNumberSize = <T extends { size: number }>(row: Raw<T>): T => ({ ...row, size: Number(row.size) }) as T;

/** The instances of a study, series or instance resource, in series / instance number order. */
export async function findInstances(sql: Sql, locator: InstanceLocator): Promise<StoredInstance[]> {
  const w = where(locator);
  const rows = await sql.query<Raw<StoredInstance>>(`SELECT ${columns} ${from} WHERE ${w.text} ${order}`, w.params);
  return rows.map(withNumberSize);
}

/** The same, with each instance's metadata and byte-range indexes. */
export async function findInstanceDetails(sql: Sql, locator: InstanceLocator): Promise<StoredInstanceDetail[]> {
  const w = where(locator);
  const rows = await sql.query<Raw<StoredInstanceDetail>>(
    `SELECT ${columns}, m.dataset_json AS "datasetJson", m.pixel_index AS "pixelIndex", m.bulk
     ${from} JOIN instance_metadata m ON m.instance_pk = i.pk WHERE ${w.text} ${order}`,
    w.params,
  );
  return rows.map(withNumberSize);
}
