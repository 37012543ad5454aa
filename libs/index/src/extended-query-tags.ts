// Extended query tags: attributes an administrator declares for matching beyond the built-in keys (as Azure
// DICOM's extended query tags). A declared tag's values are written into the <level>_extended_value tables
// by every later store (index-writer.ts), the data stored before is re-indexed in the background
// (reindexExtendedQueryTags, one batch per call), and the planner matches on the tag once it is 'ready'.
import { Tag } from '@pacs/dicom';
import { timezoneOffsetMinutes, personNameGroups, personNameNorm, type DicomJsonDataset } from './dataset-values';
import type { Sql } from './sql';

export type ExtendedTagLevel = 'study' | 'series' | 'instance';
export type ExtendedTagStatus = 'reindexing' | 'ready';

export interface ExtendedQueryTag {
  tag: string;
  keyword: string;
  vr: string;
  level: ExtendedTagLevel;
  status: ExtendedTagStatus;
  /** Entities of the level when the tag was declared: the re-indexing's 100 %. */
  total: number;
  /** Entities re-indexed so far. */
  done: number;
  /** 0-100; 100 only once the tag is ready. */
  percent: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What the writer and the planner need of a declared tag. */
export interface ExtendedTagColumn {
  pk: number;
  tag: string;
  vr: string;
  level: ExtendedTagLevel;
  status: ExtendedTagStatus;
  percent: number;
}

export interface ExtendedQueryTagDefinition {
  tag: string;
  keyword: string;
  vr: string;
  level: ExtendedTagLevel;
}

export type ExtendedQueryTagErrorKind = 'invalid' | 'conflict' | 'not-found';

export class ExtendedQueryTagError extends Error {
  constructor(
    readonly kind: ExtendedQueryTagErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How a VR's values are kept and matched. Long texts (LT, ST, UT), binary VRs, sequences and 64-bit
 * integers (UV, SV: beyond a double's precision) cannot be extended query tags.
 */
export const extendedTagValueKinds = {
  AE: 'text',
  AS: 'text',
  CS: 'text',
  LO: 'text',
  SH: 'text',
  UC: 'text',
  UI: 'text',
  PN: 'pn',
  DA: 'date',
  TM: 'time',
  DT: 'datetime',
  IS: 'number',
  DS: 'number',
  US: 'number',
  SS: 'number',
  UL: 'number',
  SL: 'number',
  FL: 'number',
  FD: 'number',
} as const satisfies Record<string, string>;
export type ExtendedTagValueKind = (typeof extendedTagValueKinds)[keyof typeof extendedTagValueKinds];

export const valueKindOf = (vr: string): ExtendedTagValueKind | undefined =>
  (extendedTagValueKinds as Record<string, ExtendedTagValueKind>)[vr];

/** value_text is indexed by a B-tree: longer values are kept (and matched) on their first characters. */
export const maxExtendedTextLength = 256;
/** Values kept per attribute and entity (a multi-valued attribute matches when any value does). */
const maxValuesPerAttribute = 64;

export const valueTables: Readonly<Record<ExtendedTagLevel, { table: string; entity: string }>> = {
  study: { table: 'study_extended_value', entity: 'study_pk' },
  series: { table: 'series_extended_value', entity: 'series_pk' },
  instance: { table: 'instance_extended_value', entity: 'instance_pk' },
};
const entityTables: Readonly<Record<ExtendedTagLevel, string>> = {
  study: 'study',
  series: 'series',
  instance: 'instance',
};

export interface ExtendedValue {
  text: string | null;
  number: number | null;
}

const pad = (s: string | undefined, width: number, fill = '0'): string => (s ?? '').padEnd(width, fill);

/** DA / TM / DT as the fixed-width strings that value_text compares (the lower end of the value's precision). */
export function fixedDate(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  return m ? `${m[1]}${m[2]}${m[3]}` : undefined;
}

export function fixedTime(value: string): string | undefined {
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(value.trim());
  if (!m) return undefined;
  return `${m[1]}${pad(m[2], 2)}${pad(m[3], 2)}.${pad(m[4], 6)}`;
}

/**
 * DT → 'YYYYMMDDHHMMSS.FFFFFF'. A value with a UTC offset (its own, else `fallbackOffsetMinutes`, the data
 * set's TimezoneOffsetFromUTC) is converted to UTC; one without any offset is kept as written.
 */
export function fixedDateTime(value: string, fallbackOffsetMinutes?: number): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/.exec(value.trim());
  if (!m) return undefined;
  const local = `${m[1]}${m[2] ?? '01'}${m[3] ?? '01'}${pad(m[4], 2)}${pad(m[5], 2)}${pad(m[6], 2)}.${pad(m[7], 6)}`;
  const offset = m[8] !== undefined ? timezoneOffsetMinutes(m[8]) : fallbackOffsetMinutes;
  return offset === undefined ? local : shiftDateTime(local, -offset);
}

/** Adds `minutes` to a fixed-width DT string. */
export function shiftDateTime(fixed: string, minutes: number): string {
  const n = (from: number, to: number) => Number(fixed.slice(from, to));
  const date = new Date(0);
  date.setUTCFullYear(n(0, 4), n(4, 6) - 1, n(6, 8));
  date.setUTCHours(n(8, 10), n(10, 12) + minutes, n(12, 14), 0);
  const p = (v: number, w: number) => String(v).padStart(w, '0');
  return (
    `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1, 2)}${p(date.getUTCDate(), 2)}` +
    `${p(date.getUTCHours(), 2)}${p(date.getUTCMinutes(), 2)}${p(date.getUTCSeconds(), 2)}${fixed.slice(14)}`
  );
}

/** The values of `tag` in a data set, in the form the value tables keep for `vr`. */
export function extendedValuesOf(ds: DicomJsonDataset, tag: string, vr: string): ExtendedValue[] {
  const kind = valueKindOf(vr);
  const raw = ds[tag]?.Value ?? [];
  const out: ExtendedValue[] = [];
  const datasetOffset = timezoneOffsetMinutes(
    typeof ds[Tag.TimezoneOffsetFromUTC]?.Value?.[0] === 'string'
      ? (ds[Tag.TimezoneOffsetFromUTC]!.Value![0] as string)
      : undefined,
  );
  for (const v of raw.slice(0, maxValuesPerAttribute)) {
    let text: string | undefined;
    let number: number | undefined;
    switch (kind) {
      case 'pn':
        text = personNameNorm(personNameGroups(v)[0]);
        break;
      case 'date':
        text = typeof v === 'string' ? fixedDate(v) : undefined;
        break;
      case 'time':
        text = typeof v === 'string' ? fixedTime(v) : undefined;
        break;
      case 'datetime':
        text = typeof v === 'string' ? fixedDateTime(v, datasetOffset) : undefined;
        break;
      case 'number': {
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (Number.isFinite(n)) number = n;
        break;
      }
      case 'text':
        if (typeof v === 'string' || typeof v === 'number') text = String(v).trim() || undefined;
        break;
      case undefined:
        break;
    }
    if (text !== undefined) out.push({ text: text.slice(0, maxExtendedTextLength), number: null });
    else if (number !== undefined) out.push({ text: null, number });
  }
  return out;
}

interface TagRow {
  pk: number;
  tag: string;
  keyword: string;
  vr: string;
  level: ExtendedTagLevel;
  status: ExtendedTagStatus;
  total: bigint | number | string;
  done: bigint | number | string;
  created_at: Date;
  updated_at: Date;
}

const percentOf = (row: Pick<TagRow, 'status' | 'total' | 'done'>): number => {
  if (row.status === 'ready') return 100;
  const total = Number(row.total);
  return total === 0 ? 0 : Math.min(99, Math.floor((Number(row.done) * 100) / total));
};

const toTag = (row: TagRow): ExtendedQueryTag => ({
  tag: row.tag,
  keyword: row.keyword,
  vr: row.vr,
  level: row.level,
  status: row.status,
  total: Number(row.total),
  done: Number(row.done),
  percent: percentOf(row),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const tagColumns = 'pk, tag, keyword, vr, level, status, total, done, created_at, updated_at';

/**
 * Declares extended query tags, all or none. Each starts 'reindexing' with the current number of entities of
 * its level as its total. Declaring waits for the writes in flight (they read the declared tags at their
 * start), so that every write after it indexes the new tags and the re-indexing covers everything before.
 * @throws ExtendedQueryTagError 'conflict' for a tag declared already, 'invalid' for a VR that cannot be indexed
 */
export async function addExtendedQueryTags(
  sql: Sql,
  definitions: readonly ExtendedQueryTagDefinition[],
): Promise<ExtendedQueryTag[]> {
  const seen = new Set<string>();
  for (const d of definitions) {
    if (!/^[0-9A-F]{8}$/.test(d.tag)) throw new ExtendedQueryTagError('invalid', `${d.tag} is not a tag`);
    if (!valueKindOf(d.vr)) {
      throw new ExtendedQueryTagError('invalid', `${d.keyword || d.tag}: VR ${d.vr} cannot be an extended query tag`);
    }
    if (seen.has(d.tag)) throw new ExtendedQueryTagError('invalid', `${d.keyword || d.tag} is given twice`);
    seen.add(d.tag);
  }
  if (definitions.length === 0) return [];
  return sql.transaction(async (tx) => {
    // Writers hold this lock shared for their whole transaction (writeLockKey): taking it exclusively waits for
    // them, and the writes after it see the new tags.
    await tx.execute('SELECT pg_advisory_xact_lock($1)', [writeLockKey]);
    const existing = await tx.query<{ tag: string }>(`SELECT tag FROM extended_query_tag WHERE tag = ANY($1::text[])`, [
      definitions.map((d) => d.tag),
    ]);
    if (existing.length > 0) {
      throw new ExtendedQueryTagError('conflict', `${existing.map((e) => e.tag).join(', ')} is declared already`);
    }
    const totals: Record<ExtendedTagLevel, number> = { study: 0, series: 0, instance: 0 };
    for (const level of new Set(definitions.map((d) => d.level))) {
      const [row] = await tx.query<{ n: bigint }>(`SELECT count(*) AS n FROM ${entityTables[level]}`);
      totals[level] = Number(row?.n ?? 0);
    }
    const rows = await tx.query<TagRow>(
      `INSERT INTO extended_query_tag (tag, keyword, vr, level, status, total)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
       RETURNING ${tagColumns}`,
      [
        definitions.map((d) => d.tag),
        definitions.map((d) => d.keyword),
        definitions.map((d) => d.vr),
        definitions.map((d) => d.level),
        definitions.map((d) => (totals[d.level] === 0 ? 'ready' : 'reindexing')),
        definitions.map((d) => String(totals[d.level])),
      ],
    );
    return rows.map(toTag);
  });
}

export async function listExtendedQueryTags(sql: Sql): Promise<ExtendedQueryTag[]> {
  const rows = await sql.query<TagRow>(`SELECT ${tagColumns} FROM extended_query_tag ORDER BY tag`);
  return rows.map(toTag);
}

export async function getExtendedQueryTag(sql: Sql, tag: string): Promise<ExtendedQueryTag | undefined> {
  const [row] = await sql.query<TagRow>(`SELECT ${tagColumns} FROM extended_query_tag WHERE tag = $1`, [tag]);
  return row ? toTag(row) : undefined;
}

/** Removes a declared tag and its indexed values; the attributes stay in the stored data sets. */
export async function deleteExtendedQueryTag(sql: Sql, tag: string): Promise<boolean> {
  return (await sql.execute(`DELETE FROM extended_query_tag WHERE tag = $1`, [tag])) > 0;
}

/** Every declared tag (for matching: the planner allows only the ready ones). */
export async function extendedTagColumns(sql: Sql): Promise<ExtendedTagColumn[]> {
  const rows = await sql.query<TagRow>(`SELECT ${tagColumns} FROM extended_query_tag`);
  return rows.map((r) => ({ pk: r.pk, tag: r.tag, vr: r.vr, level: r.level, status: r.status, percent: percentOf(r) }));
}

/**
 * The advisory lock every index write holds shared for its transaction, and a declaration of extended query
 * tags exclusively: a declaration waits for the writes in flight, and no write starts with an outdated list.
 */
export const writeLockKey = 7_460_002;

interface TagJson {
  pk: number;
  tag: string;
  vr: string;
  level: ExtendedTagLevel;
  status: ExtendedTagStatus;
}

/** SQL of the declared tags as one JSON array (read in the writer's first statement). */
export const extendedTagsJsonSql = `(SELECT COALESCE(json_agg(json_build_object('pk', t.pk, 'tag', t.tag, 'vr', t.vr,
  'level', t.level, 'status', t.status)), '[]') FROM extended_query_tag t)`;

/** The result of extendedTagsJsonSql as columns for the writer (the percent does not matter there). */
export const extendedTagsOfJson = (json: unknown): ExtendedTagColumn[] =>
  ((typeof json === 'string' ? JSON.parse(json) : json) as TagJson[]).map((t) => ({ ...t, percent: 0 }));

/** One entity's values of the tags of its level, for the value tables. */
export interface EntityValues {
  entityPk: string;
  dataset: DicomJsonDataset;
}

/** Writes the values of `tags` of each entity into the level's value table (existing rows are kept). */
export async function writeExtendedValues(
  tx: Sql,
  level: ExtendedTagLevel,
  tags: readonly ExtendedTagColumn[],
  entities: readonly EntityValues[],
): Promise<void> {
  const ofLevel = tags.filter((t) => t.level === level);
  if (ofLevel.length === 0 || entities.length === 0) return;
  const tagPks: number[] = [];
  const entityPks: string[] = [];
  const ordinals: number[] = [];
  const texts: (string | null)[] = [];
  const numbers: (number | null)[] = [];
  for (const entity of entities) {
    for (const t of ofLevel) {
      extendedValuesOf(entity.dataset, t.tag, t.vr).forEach((value, ordinal) => {
        tagPks.push(t.pk);
        entityPks.push(entity.entityPk);
        ordinals.push(ordinal);
        texts.push(value.text);
        numbers.push(value.number);
      });
    }
  }
  if (tagPks.length === 0) return;
  const { table, entity } = valueTables[level];
  await tx.execute(
    `INSERT INTO ${table} (tag_pk, ${entity}, ordinal, value_text, value_number)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::smallint[], $4::text[], $5::float8[])
     ON CONFLICT DO NOTHING`,
    [tagPks, entityPks, ordinals, texts, numbers],
  );
}

/** The elements of the declared tags of `level` present in a data set (kept in the level's attributes JSON). */
export function extendedElementsOf(
  ds: DicomJsonDataset,
  level: ExtendedTagLevel,
  tags: readonly ExtendedTagColumn[],
): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const t of tags) if (t.level === level && ds[t.tag] !== undefined) out[t.tag] = ds[t.tag]!;
  return out;
}

export interface ReindexStep {
  tag: string;
  /** Entities handled in this step. */
  processed: number;
  /** The tag is ready. */
  ready: boolean;
}

/**
 * One step of the background re-indexing: takes the first tag still 'reindexing' that no other process is
 * working on (FOR UPDATE SKIP LOCKED), indexes the next `batchSize` entities of its level from their stored data
 * sets (a study's and a series' from their first instance), and moves its cursor; the tag becomes 'ready' when
 * none is left. One transaction per step. Resolves undefined when there is nothing to do.
 */
export async function reindexExtendedQueryTags(sql: Sql, batchSize = 500): Promise<ReindexStep | undefined> {
  return sql.transaction(async (tx) => {
    const [row] = await tx.query<TagRow & { cursor: bigint | number | string }>(
      `SELECT ${tagColumns}, cursor FROM extended_query_tag WHERE status = 'reindexing'
       ORDER BY pk LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    if (!row) return undefined;
    const column: ExtendedTagColumn = {
      pk: row.pk,
      tag: row.tag,
      vr: row.vr,
      level: row.level,
      status: row.status,
      percent: 0,
    };
    const entities = await tx.query<{ pk: bigint | string; dataset_json: string | null }>(
      row.level === 'instance'
        ? `SELECT i.pk, m.dataset_json FROM instance i LEFT JOIN instance_metadata m ON m.instance_pk = i.pk
           WHERE i.pk > $1::bigint ORDER BY i.pk LIMIT $2`
        : `SELECT e.pk, (SELECT m.dataset_json FROM instance i JOIN instance_metadata m ON m.instance_pk = i.pk
                         WHERE i.${row.level}_pk = e.pk ORDER BY i.pk LIMIT 1) AS dataset_json
           FROM ${entityTables[row.level]} e WHERE e.pk > $1::bigint ORDER BY e.pk LIMIT $2`,
      [String(row.cursor), batchSize],
    );
    const parsed = entities.map((e) => ({
      entityPk: String(e.pk),
      dataset: e.dataset_json ? (JSON.parse(e.dataset_json) as DicomJsonDataset) : {},
    }));
    await writeExtendedValues(tx, row.level, [column], parsed);
    // The attribute joins the entity's stored attributes, so that results show the value they matched on.
    const withElement = parsed.filter((e) => e.dataset[row.tag] !== undefined);
    if (withElement.length > 0) {
      await tx.execute(
        `UPDATE ${entityTables[row.level]} e SET attributes = COALESCE(e.attributes, '{}'::jsonb) || jsonb_build_object($1::text, u.element)
         FROM unnest($2::bigint[], $3::jsonb[]) AS u(pk, element)
         WHERE e.pk = u.pk AND e.attributes -> $1::text IS NULL`,
        [row.tag, withElement.map((e) => e.entityPk), withElement.map((e) => JSON.stringify(e.dataset[row.tag]))],
      );
    }
    const ready = entities.length < batchSize;
    await tx.execute(
      `UPDATE extended_query_tag SET cursor = $2::bigint, done = done + $3, status = $4, updated_at = now() WHERE pk = $1`,
      [
        row.pk,
        parsed.length ? parsed[parsed.length - 1]!.entityPk : String(row.cursor),
        parsed.length,
        ready ? 'ready' : 'reindexing',
      ],
    );
    return { tag: row.tag, processed: parsed.length, ready };
  });
}
