// The QIDO-RS query planner: a search (level, matching keys, paging) becomes ONE parameterised SQL
// statement over typed, indexed columns (PS3.18 §10.6; matching rules of PS3.4 §C.2.2.2). The matching
// semantics are stated in docs/conformance.md ("QIDO-RS"); qido-oracle.ts is the same rules written
// plainly over data sets in memory, and the tests compare the two on random data.
import { Tag } from '@pacs/dicom';
import {
  nameKeyLength,
  normalizeForMatching,
  personNameNorm,
  personNameWords,
  sqlDate,
  sqlTime,
  type DicomJsonDataset,
} from './dataset-values';
import {
  fixedDate,
  fixedDateTime,
  fixedTime,
  valueKindOf,
  valueTables,
  type ExtendedTagColumn,
  type ExtendedTagValueKind,
} from './extended-query-tags';
import { requestAttributeItemTags } from './request-attributes';
import type { Sql } from './sql';

export type SearchLevel = 'study' | 'series' | 'instance';

/** One matching key of a search, already validated against its VR. Values are DICOM strings. */
export type MatchCondition =
  | { kind: 'universal'; tag: string }
  | { kind: 'single'; tag: string; value: string }
  | { kind: 'wildcard'; tag: string; pattern: string }
  | {
      kind: 'range';
      tag: string;
      /**
       * Inclusive bounds, absent for an open end: DA 'YYYYMMDD', TM 'HHMMSS.FFFFFF', DT 'YYYYMMDDHHMMSS.FFFFFF';
       * with timeTag, DT values spanning the date attribute `tag` and its time attribute.
       */
      from?: string;
      to?: string;
      /** DT bounds given with a UTC offset (&ZZXX), in minutes. */
      fromOffsetMinutes?: number;
      toOffsetMinutes?: number;
      /** Combined date-time matching (PS3.4 §C.2.2.2.5.4): the TM attribute paired with the DA attribute `tag`. */
      timeTag?: string;
    }
  | { kind: 'uidList'; tag: string; values: string[] }
  /** Multiple Value Matching: any of the values (each a single value or a wild card pattern). */
  | { kind: 'multiple'; tag: string; values: string[] }
  | { kind: 'sequence'; tag: string; items: MatchCondition[] };

export interface SearchQuery {
  level: SearchLevel;
  partitionId: number;
  /** The study / series of the resource path (/studies/{study}/series …). */
  studyUid?: string;
  seriesUid?: string;
  conditions: MatchCondition[];
  fuzzy: boolean;
  /** emptyvaluematching=true: an entity without a value also matches a non-universal key. */
  emptyValueMatching?: boolean;
  /**
   * TimezoneOffsetFromUTC of the query, in minutes: its dates and times are in that offset, and those of an
   * entity with a TimezoneOffsetFromUTC of its own are compared after moving them to it (PS3.4 §C.2.2.2.5).
   */
  timezoneOffsetMinutes?: number;
  /** The declared extended query tags (only the ready ones can be matched). */
  extendedTags?: readonly ExtendedTagColumn[];
  limit: number;
  offset: number;
  /** Also return the full data set of each instance (instance level, includefield beyond the defaults). */
  withInstanceDataset?: boolean;
}

export interface SearchRow {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
  /** The result's attributes as DICOM JSON: stored level attributes plus the computed ones. */
  dataset: DicomJsonDataset;
}

export interface SearchResult {
  rows: SearchRow[];
  /** More matches exist beyond limit (the caller says so in a Warning header). */
  more: boolean;
}

export class UnsupportedMatchError extends Error {
  constructor(
    readonly tag: string,
    message: string,
  ) {
    super(message);
  }
}

type ColumnKind = 'text' | 'pn' | 'date' | 'time' | 'int' | 'uid' | 'array';
interface Column {
  level: SearchLevel;
  sql: string;
  kind: ColumnKind;
  /** PN: the fuzzy-matching keys column. */
  keys?: string;
  /** DA: its TM column (combined matching); DA/TM: adjusted by the study's TimezoneOffsetFromUTC. */
  time?: string;
  zoned?: boolean;
}

/** The built-in matching keys, by tag, with the column each is matched on. */
const columns: Record<string, Column> = {
  [Tag.StudyInstanceUID]: { level: 'study', sql: 'st.study_uid', kind: 'uid' },
  [Tag.StudyDate]: { level: 'study', sql: 'st.study_date', kind: 'date', time: 'st.study_time', zoned: true },
  [Tag.StudyTime]: { level: 'study', sql: 'st.study_time', kind: 'time', zoned: true },
  [Tag.AccessionNumber]: { level: 'study', sql: 'st.accession_number', kind: 'text' },
  [Tag.StudyID]: { level: 'study', sql: 'st.study_id', kind: 'text' },
  [Tag.StudyDescription]: { level: 'study', sql: 'st.study_description', kind: 'text' },
  [Tag.ReferringPhysicianName]: {
    level: 'study',
    sql: 'st.referring_physician_norm',
    kind: 'pn',
    keys: 'st.referring_physician_keys',
  },
  [Tag.PatientName]: { level: 'study', sql: 'st.patient_name_norm', kind: 'pn', keys: 'st.patient_name_keys' },
  [Tag.PatientID]: { level: 'study', sql: 'st.patient_id', kind: 'text' },
  [Tag.IssuerOfPatientID]: { level: 'study', sql: `NULLIF(st.issuer, '')`, kind: 'text' },
  [Tag.PatientBirthDate]: { level: 'study', sql: 'st.patient_birth_date', kind: 'date' },
  [Tag.PatientSex]: { level: 'study', sql: 'st.patient_sex', kind: 'text' },
  [Tag.ModalitiesInStudy]: { level: 'study', sql: 'st.modalities', kind: 'array' },
  [Tag.SOPClassesInStudy]: { level: 'study', sql: 'st.sop_classes', kind: 'array' },
  [Tag.SeriesInstanceUID]: { level: 'series', sql: 'se.series_uid', kind: 'uid' },
  [Tag.Modality]: { level: 'series', sql: 'se.modality', kind: 'text' },
  [Tag.SeriesNumber]: { level: 'series', sql: 'se.series_number', kind: 'int' },
  [Tag.SeriesDescription]: { level: 'series', sql: 'se.series_description', kind: 'text' },
  [Tag.BodyPartExamined]: { level: 'series', sql: 'se.body_part_examined', kind: 'text' },
  [Tag.PerformedProcedureStepStartDate]: {
    level: 'series',
    sql: 'se.performed_start_date',
    kind: 'date',
    time: 'se.performed_start_time',
    zoned: true,
  },
  [Tag.PerformedProcedureStepStartTime]: {
    level: 'series',
    sql: 'se.performed_start_time',
    kind: 'time',
    zoned: true,
  },
  [Tag.StationName]: { level: 'series', sql: 'se.station_name', kind: 'text' },
  [Tag.InstitutionName]: { level: 'series', sql: 'se.institution_name', kind: 'text' },
  [Tag.SOPInstanceUID]: { level: 'instance', sql: 'i.sop_uid', kind: 'uid' },
  [Tag.SOPClassUID]: { level: 'instance', sql: 'i.sop_class_uid', kind: 'uid' },
  [Tag.InstanceNumber]: { level: 'instance', sql: 'i.instance_number', kind: 'int' },
  [Tag.NumberOfFrames]: { level: 'instance', sql: 'i.number_of_frames', kind: 'int' },
  [Tag.Rows]: { level: 'instance', sql: 'i.rows', kind: 'int' },
  [Tag.Columns]: { level: 'instance', sql: 'i.columns', kind: 'int' },
  [Tag.ContentDate]: { level: 'instance', sql: 'i.content_date', kind: 'date', time: 'i.content_time', zoned: true },
  [Tag.ContentTime]: { level: 'instance', sql: 'i.content_time', kind: 'time', zoned: true },
};

/** Sequence matching (PS3.4 §C.2.2.2.6) on the sequences the index keeps: RequestAttributesSequence. */
const sequenceColumns: Record<string, { level: SearchLevel; sql: string; items: ReadonlySet<string> }> = {
  [Tag.RequestAttributesSequence]: {
    level: 'series',
    sql: 'se.request_attributes',
    items: new Set(requestAttributeItemTags),
  },
};

const levelRank: Record<SearchLevel, number> = { study: 0, series: 1, instance: 2 };
const alias: Record<SearchLevel, string> = { study: 'st', series: 'se', instance: 'i' };

/** The built-in keys a search at `level` can match on, by tag (for the conformance statement and errors). */
export function supportedMatchingKeys(level: SearchLevel): string[] {
  return Object.entries(columns)
    .filter(([, c]) => levelRank[c.level] <= levelRank[level])
    .map(([tag]) => tag);
}

/** Whether `tag` is a built-in matching key at any level (an extended query tag cannot be one). */
export const isBuiltInMatchingKey = (tag: string): boolean => tag in columns || tag in sequenceColumns;

/** A DICOM wildcard pattern (PS3.4 §C.2.2.2.4: * any sequence, ? one character) as a LIKE pattern. */
export function likePattern(pattern: string): string {
  return pattern
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

const hasWildcard = (value: string): boolean => /[*?]/.test(value);

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const invalid = (message: string): UnsupportedMatchError => new UnsupportedMatchError('', message);

/** 'YYYYMMDD' → 'YYYY-MM-DD', 'HHMMSS.FFFFFF' → 'HH:MM:SS.FFFFFF' (query values are valid: the parser checked). */
function sqlDateOf(da: string): string {
  const d = sqlDate(da);
  if (d === undefined) throw invalid(`'${da}' is not a valid DA value`);
  return d;
}
function sqlTimeOf(tm: string): string {
  const t = sqlTime(tm);
  if (t === undefined) throw invalid(`'${tm}' is not a valid TM value`);
  return t;
}
function intOf(value: string): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || Math.abs(n) > 2 ** 31 - 1) throw invalid(`'${value}' is not a valid IS value`);
  return n;
}

/** A DT bound 'YYYYMMDDHHMMSS.FFFFFF' as an SQL timestamp literal, moved by `minutes`. */
function sqlTimestamp(dt: string, minutes = 0): string {
  const n = (from: number, to: number) => Number(dt.slice(from, to));
  const date = new Date(0);
  date.setUTCFullYear(n(0, 4), n(4, 6) - 1, n(6, 8));
  date.setUTCHours(n(8, 10), n(10, 12) + minutes, n(12, 14), 0);
  const p = (v: number, w: number) => String(v).padStart(w, '0');
  return (
    `${p(date.getUTCFullYear(), 4)}-${p(date.getUTCMonth() + 1, 2)}-${p(date.getUTCDate(), 2)} ` +
    `${p(date.getUTCHours(), 2)}:${p(date.getUTCMinutes(), 2)}:${p(date.getUTCSeconds(), 2)}.${dt.slice(15, 21).padEnd(6, '0')}`
  );
}

interface Context {
  params: Params;
  fuzzy: boolean;
  emptyValueMatching: boolean;
  /** The query's offset (minutes) when dates and times are to be adjusted. */
  zone?: number;
}

/**
 * Fuzzy matching of a PN (PS3.18 §8.3.4.2, implementation-defined): case and accents are ignored and every word
 * of the query must start a word of the stored name, in any component or group ("joh" matches "Doe^John",
 * "doe^j" matches "John^Doe"). A trailing "*" of a word changes nothing; any other wild card falls back to
 * literal Wild Card Matching. Undefined when there is nothing to match (Universal Matching).
 */
function fuzzyNameSql(column: Column, value: string, ctx: Context): string | undefined {
  const words = personNameWords(value).map((w) => w.replace(/\*+$/, ''));
  if (words.some(hasWildcard)) return undefined;
  const keys = [...new Set(words.filter((w) => w !== '').map((w) => [...w].slice(0, nameKeyLength).join('')))];
  if (keys.length === 0) return 'TRUE';
  const sql = [`${column.keys} @> ${ctx.params.add(keys)}::text[]`];
  // Words longer than the keys: the key finds the candidates, the word itself decides.
  for (const word of words.filter((w) => [...w].length > nameKeyLength)) {
    sql.push(`${column.sql} LIKE ${ctx.params.add(`%${likePattern(word)}%`)}`);
  }
  return sql.join(' AND ');
}

/** The SQL of one matching key on a built-in column (undefined: no condition). */
function columnSql(column: Column, match: MatchCondition, ctx: Context): string | undefined {
  const c = column.sql;
  const p = ctx.params;
  switch (match.kind) {
    case 'universal':
    case 'sequence':
      return undefined;
    case 'single':
    case 'wildcard': {
      const value = match.kind === 'single' ? match.value : match.pattern;
      if (match.kind === 'wildcard' && /^\*+$/.test(value)) return undefined; // PS3.4 §C.2.2.2.4 note 1
      switch (column.kind) {
        case 'array':
          return match.kind === 'single'
            ? `${c} @> ARRAY[${p.add(value)}::text]`
            : `EXISTS (SELECT 1 FROM unnest(${c}) AS v WHERE v LIKE ${p.add(likePattern(value))})`;
        case 'pn': {
          if (ctx.fuzzy) {
            const fuzzy = fuzzyNameSql(column, value, ctx);
            if (fuzzy !== undefined) return fuzzy;
          }
          return match.kind === 'single'
            ? `${c} = ${p.add(personNameNorm(value) ?? '')}`
            : `${c} LIKE ${p.add(likePattern(normalizeForMatching(value)!))}`;
        }
        case 'date':
          return columnSql(column, { kind: 'range', tag: match.tag, from: value, to: value }, ctx);
        case 'time':
          return columnSql(column, { kind: 'range', tag: match.tag, from: value, to: value }, ctx);
        case 'int':
          return `${c} = ${p.add(intOf(value))}::int`;
        case 'text':
        case 'uid':
          return match.kind === 'single' ? `${c} = ${p.add(value)}` : `${c} LIKE ${p.add(likePattern(value))}`;
      }
      break;
    }
    case 'range':
      if (column.kind === 'date') return dateRangeSql(column, match, ctx);
      if (column.kind === 'time') return timeRangeSql(column, match, ctx);
      throw invalid('Range Matching applies to dates and times only');
    case 'uidList':
      if (column.kind === 'array') return `${c} && ${p.add(match.values)}::text[]`;
      if (column.kind === 'uid' || column.kind === 'text') return `${c} = ANY(${p.add(match.values)}::text[])`;
      throw invalid('List of UID Matching applies to UIDs only');
    case 'multiple': {
      const parts = match.values.map((value) =>
        columnSql(
          column,
          hasWildcard(value)
            ? { kind: 'wildcard', tag: match.tag, pattern: value }
            : { kind: 'single', tag: match.tag, value },
          ctx,
        ),
      );
      return parts.some((s) => s === undefined) ? undefined : `(${parts.join(' OR ')})`;
    }
  }
  return undefined;
}

/** `column` between the bounds (either may be open). */
function between(column: string, from: string | undefined, to: string | undefined, cast: string, p: Params): string {
  const parts: string[] = [];
  if (from !== undefined) parts.push(`${column} >= ${p.add(from)}::${cast}`);
  if (to !== undefined) parts.push(`${column} <= ${p.add(to)}::${cast}`);
  return parts.join(' AND ') || 'TRUE';
}

/**
 * A date range, alone (DA) or with its time (combined matching, PS3.4 §C.2.2.2.5.4: DT bounds over the date and
 * its time attribute). An entity without a time matches a combined range when its date is within the range's
 * dates. With a query offset (TimezoneOffsetFromUTC), an entity that has a time and an offset of its own other
 * than the query's is compared as an instant; a date range alone is then the whole days in the query's offset.
 */
function dateRangeSql(column: Column, match: Extract<MatchCondition, { kind: 'range' }>, ctx: Context): string {
  const p = ctx.params;
  const time = match.timeTag !== undefined ? columns[match.timeTag]?.sql : undefined;
  if (match.timeTag !== undefined && (time === undefined || time !== column.time)) {
    throw new UnsupportedMatchError(
      match.timeTag,
      `Combined matching of ${match.tag} with ${match.timeTag} is not supported`,
    );
  }
  const fromDate = match.from?.slice(0, 8);
  const toDate = match.to?.slice(0, 8);
  const plainDates = between(column.sql, fromDate && sqlDateOf(fromDate), toDate && sqlDateOf(toDate), 'date', p);
  let plain = plainDates;
  if (time !== undefined) {
    const row = `(${column.sql}, ${time})`;
    const bound = (dt: string) => `(${p.add(sqlDateOf(dt.slice(0, 8)))}::date, ${p.add(sqlTimeOf(dt.slice(8)))}::time)`;
    const exact: string[] = [];
    if (match.from !== undefined) exact.push(`${row} >= ${bound(match.from)}`);
    if (match.to !== undefined) exact.push(`${row} <= ${bound(match.to)}`);
    if (exact.length > 0) plain = `${plainDates} AND (${time} IS NULL OR (${exact.join(' AND ')}))`;
  }
  if (ctx.zone === undefined || !column.zoned || column.time === undefined) return plain;

  // TimezoneOffsetFromUTC: candidates within two days of the dates (offsets span -12:00 to +14:00), then exact.
  const shift = (da: string, days: number) => {
    const d = new Date(`${sqlDateOf(da)}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  };
  const near = between(column.sql, fromDate && shift(fromDate, -2), toDate && shift(toDate, 2), 'date', p);
  const fromDt =
    match.from === undefined ? undefined : match.from.length > 8 ? match.from : `${match.from}000000.000000`;
  const toDt = match.to === undefined ? undefined : match.to.length > 8 ? match.to : `${match.to}235959.999999`;
  const instant = `(${column.sql} + ${column.time} - make_interval(mins => st.timezone_offset_minutes))`;
  const zoned = between(
    instant,
    fromDt && sqlTimestamp(fromDt, -ctx.zone),
    toDt && sqlTimestamp(toDt, -ctx.zone),
    'timestamp',
    p,
  );
  const zone = p.add(ctx.zone);
  return `${near} AND CASE WHEN st.timezone_offset_minutes IS NULL OR st.timezone_offset_minutes = ${zone}::int OR ${column.time} IS NULL
    THEN ${plain} ELSE ${zoned} END`;
}

/**
 * A time range (PS3.4 §C.2.2.2.5.2: within one day, never across midnight). With a query offset, the time of an
 * entity with another offset is moved to the query's (around the clock) before it is compared.
 */
function timeRangeSql(column: Column, match: Extract<MatchCondition, { kind: 'range' }>, ctx: Context): string {
  const p = ctx.params;
  const from = match.from && sqlTimeOf(match.from);
  const to = match.to && sqlTimeOf(match.to);
  const plain = between(column.sql, from, to, 'time', p);
  if (ctx.zone === undefined || !column.zoned) return plain;
  const zone = p.add(ctx.zone);
  const moved = between(
    `(${column.sql} + make_interval(mins => ${zone}::int - st.timezone_offset_minutes))`,
    from,
    to,
    'time',
    p,
  );
  return `CASE WHEN st.timezone_offset_minutes IS NULL OR st.timezone_offset_minutes = ${zone}::int THEN ${plain} ELSE ${moved} END`;
}

/** What "empty" means for a built-in column (PS3.18 §8.3.4.5 emptyvaluematching). */
const emptySql = (column: Column): string =>
  column.kind === 'array' ? `COALESCE(cardinality(${column.sql}), 0) = 0` : `${column.sql} IS NULL`;

/**
 * Sequence Matching on RequestAttributesSequence: one stored item must match every item key. Single values only
 * are a containment test on the GIN-indexed JSON (`@>`), anything else an EXISTS over the items.
 */
function sequenceSql(tag: string, items: MatchCondition[], level: SearchLevel, ctx: Context): string | undefined {
  const sequence = sequenceColumns[tag];
  if (!sequence || levelRank[sequence.level] > levelRank[level]) {
    throw new UnsupportedMatchError(tag, `Sequence matching on ${tag} is not supported at the ${level} level`);
  }
  for (const item of items) {
    if (!sequence.items.has(item.tag)) {
      throw new UnsupportedMatchError(tag, `Sequence matching on ${tag}.${item.tag} is not supported`);
    }
  }
  const active = items.filter((m) => m.kind !== 'universal' && !(m.kind === 'wildcard' && /^\*+$/.test(m.pattern)));
  if (active.length === 0) return undefined;
  const p = ctx.params;
  if (!ctx.emptyValueMatching && active.every((m) => m.kind === 'single')) {
    const item = Object.fromEntries(active.map((m) => [m.tag, (m as { value: string }).value]));
    return `${sequence.sql} @> ${p.add(JSON.stringify([item]))}::jsonb`;
  }
  const conditions = active.map((m) => {
    const value = `(e ->> ${p.add(m.tag)})`;
    const sql = columnSql({ level: sequence.level, sql: value, kind: 'text' }, m, ctx);
    return ctx.emptyValueMatching ? `(${sql ?? 'TRUE'} OR ${value} IS NULL)` : (sql ?? 'TRUE');
  });
  const any = `EXISTS (SELECT 1 FROM jsonb_array_elements(${sequence.sql}) AS e WHERE ${conditions.join(' AND ')})`;
  return ctx.emptyValueMatching ? `(${any} OR jsonb_array_length(${sequence.sql}) = 0)` : any;
}

/** The matching form of a query value of an extended tag, as the value tables keep theirs. */
function extendedValue(kind: ExtendedTagValueKind, value: string): string | number {
  switch (kind) {
    case 'pn':
      return personNameNorm(value) ?? '';
    case 'number': {
      const n = Number(value.trim());
      if (!Number.isFinite(n)) throw invalid(`'${value}' is not a number`);
      return n;
    }
    default:
      return value;
  }
}

/** A DA/TM/DT query bound in the fixed-width form of the value tables; DT bounds go to UTC when an offset is known. */
function extendedBound(kind: ExtendedTagValueKind, bound: string, offset: number | undefined): string {
  const fixed = kind === 'date' ? fixedDate(bound) : kind === 'time' ? fixedTime(bound) : fixedDateTime(bound, offset);
  if (fixed === undefined) throw invalid(`'${bound}' is not a valid ${kind}`);
  return fixed;
}

/**
 * A matching key on an extended query tag: EXISTS over the level's value table (a multi-valued attribute matches
 * when any of its values does, PS3.4 §C.2.2.3). Dates and times compare as fixed-width strings with the
 * text_pattern_ops operators (~>=~, ~<=~), which the (tag_pk, value_text text_pattern_ops) index serves.
 */
function extendedSql(
  tag: ExtendedTagColumn,
  match: MatchCondition,
  entity: string,
  ctx: Context,
  extendedTags: ReadonlyMap<string, ExtendedTagColumn>,
): string | undefined {
  const kind = valueKindOf(tag.vr)!;
  const p = ctx.params;
  const { table, entity: entityColumn } = valueTables[tag.level];
  // Each EXISTS is a scope of its own: the alias x (d, t) can repeat.
  const exists = (condition: string) =>
    `EXISTS (SELECT 1 FROM ${table} x WHERE x.tag_pk = ${p.add(tag.pk)} AND x.${entityColumn} = ${entity} AND ${condition})`;
  const valueCondition = (m: MatchCondition): string | undefined => {
    switch (m.kind) {
      case 'universal':
      case 'sequence':
        return undefined;
      case 'single':
      case 'wildcard': {
        const value = m.kind === 'single' ? m.value : m.pattern;
        if (m.kind === 'wildcard' && /^\*+$/.test(value)) return undefined;
        if (kind === 'number') return `x.value_number = ${p.add(extendedValue(kind, value))}::float8`;
        if (kind === 'date' || kind === 'time' || kind === 'datetime') {
          return valueCondition({ kind: 'range', tag: m.tag, from: value, to: value });
        }
        if (m.kind === 'single') return `x.value_text = ${p.add(extendedValue(kind, value))}`;
        const pattern = kind === 'pn' ? normalizeForMatching(value)! : value;
        return `x.value_text LIKE ${p.add(likePattern(pattern))}`;
      }
      case 'range': {
        if (kind !== 'date' && kind !== 'time' && kind !== 'datetime') {
          throw invalid('Range Matching applies to dates and times only');
        }
        const parts: string[] = [];
        if (m.from !== undefined) {
          const from = extendedBound(
            kind,
            m.from.slice(0, kind === 'date' ? 8 : undefined),
            m.fromOffsetMinutes ?? ctx.zone,
          );
          parts.push(`x.value_text ~>=~ ${p.add(from)}`);
        }
        if (m.to !== undefined) {
          const to = extendedBound(kind, m.to.slice(0, kind === 'date' ? 8 : undefined), m.toOffsetMinutes ?? ctx.zone);
          parts.push(`x.value_text ~<=~ ${p.add(to)}`);
        }
        return parts.join(' AND ') || undefined;
      }
      case 'uidList':
        return `x.value_text = ANY(${p.add(m.values)}::text[])`;
      case 'multiple': {
        const parts = m.values.map((value) =>
          valueCondition(
            hasWildcard(value)
              ? { kind: 'wildcard', tag: m.tag, pattern: value }
              : { kind: 'single', tag: m.tag, value },
          ),
        );
        return parts.some((s) => s === undefined) ? undefined : `(${parts.join(' OR ')})`;
      }
    }
  };
  let sql: string | undefined;
  if (match.kind === 'range' && match.timeTag !== undefined) {
    // Combined matching on a declared date tag and its declared time tag (same level): the date's first value with
    // the time's first value as one DT; without a time, the date alone decides.
    const timeTag = extendedTags.get(match.timeTag);
    if (!timeTag || timeTag.level !== tag.level || kind !== 'date') {
      throw new UnsupportedMatchError(
        match.timeTag,
        `Combined matching of ${match.tag} with ${match.timeTag} is not supported`,
      );
    }
    const d = 'd';
    const t = 't';
    const dates = [
      match.from !== undefined ? `${d}.value_text ~>=~ ${p.add(match.from.slice(0, 8))}` : '',
      match.to !== undefined ? `${d}.value_text ~<=~ ${p.add(match.to.slice(0, 8))}` : '',
    ].filter(Boolean);
    const moments = [
      match.from !== undefined ? `${d}.value_text || ${t}.value_text ~>=~ ${p.add(match.from)}` : '',
      match.to !== undefined ? `${d}.value_text || ${t}.value_text ~<=~ ${p.add(match.to)}` : '',
    ].filter(Boolean);
    sql = `EXISTS (SELECT 1 FROM ${table} ${d} LEFT JOIN ${table} ${t} ON ${t}.tag_pk = ${p.add(timeTag.pk)}
      AND ${t}.${entityColumn} = ${d}.${entityColumn} AND ${t}.ordinal = 0
      WHERE ${d}.tag_pk = ${p.add(tag.pk)} AND ${d}.${entityColumn} = ${entity} AND ${d}.ordinal = 0
      ${dates.map((s) => `AND ${s}`).join(' ')} ${moments.length ? `AND (${t}.value_text IS NULL OR (${moments.join(' AND ')}))` : ''})`;
  } else {
    const condition = valueCondition(match);
    sql = condition === undefined ? undefined : exists(condition);
  }
  if (sql === undefined) return undefined;
  if (!ctx.emptyValueMatching) return sql;
  return `(${sql} OR NOT ${exists('TRUE')})`;
}

interface Plan {
  text: string;
  params: unknown[];
}

/** Plans a search as one SQL statement. Throws UnsupportedMatchError for keys the index cannot match. */
export function planSearch(query: SearchQuery): Plan {
  const params = new Params();
  const ctx: Context = {
    params,
    fuzzy: query.fuzzy,
    emptyValueMatching: query.emptyValueMatching ?? false,
    zone: query.timezoneOffsetMinutes,
  };
  const rank = levelRank[query.level];
  const partition = params.add(query.partitionId);
  // Every table of the statement is restricted to the partition: its indexes all lead with partition_id.
  const where: string[] = [`st.partition_id = ${partition}`];
  if (rank >= 1) where.push(`se.partition_id = ${partition}`);
  if (rank >= 2) where.push(`i.partition_id = ${partition}`);
  if (query.studyUid !== undefined) where.push(`st.study_uid = ${params.add(query.studyUid)}`);
  if (query.seriesUid !== undefined) where.push(`se.series_uid = ${params.add(query.seriesUid)}`);
  const extended = new Map((query.extendedTags ?? []).map((t) => [t.tag, t]));

  const planned = (match: MatchCondition): string | undefined => {
    // Universal Matching only asks for the attribute to be returned: any attribute may.
    if (match.kind === 'universal') return undefined;
    const column = columns[match.tag];
    if (column && levelRank[column.level] <= rank) {
      const sql = columnSql(column, match, ctx);
      if (sql === undefined || !ctx.emptyValueMatching) return sql;
      return `(${sql} OR ${emptySql(column)})`;
    }
    const tag = extended.get(match.tag);
    if (!column && tag && levelRank[tag.level] <= rank) {
      if (tag.status !== 'ready') {
        throw new UnsupportedMatchError(
          match.tag,
          `Matching on ${match.tag} is not available yet: the extended query tag is being re-indexed (${tag.percent} %)`,
        );
      }
      return extendedSql(tag, match, `${alias[tag.level]}.pk`, ctx, extended);
    }
    throw new UnsupportedMatchError(match.tag, `Matching on ${match.tag} is not supported at the ${query.level} level`);
  };
  for (const match of query.conditions) {
    let sql: string | undefined;
    try {
      sql = match.kind === 'sequence' ? sequenceSql(match.tag, match.items, query.level, ctx) : planned(match);
    } catch (e) {
      if (e instanceof UnsupportedMatchError && !e.tag)
        throw new UnsupportedMatchError(match.tag, `${match.tag}: ${e.message}`);
      throw e;
    }
    if (sql !== undefined) where.push(sql);
  }

  const limit = params.add(query.limit + 1);
  const offset = params.add(query.offset);
  // The orders follow the indexes, so that a page is read in order and stops at the limit:
  // study (partition_id, study_date, study_time, pk) backwards, series (study_pk DESC, series_number, pk),
  // instance (series_pk, instance_number, pk).
  const text =
    query.level === 'study'
      ? // The page's keys first, then their rows: without a condition off the index, the keys come from an
        // index-only scan, so a deep offset skips index entries, not table rows.
        `SELECT st.study_uid, st.attributes AS study_attributes, st.modalities, st.sop_classes, st.num_series, st.num_instances
         FROM (SELECT st.pk FROM study st WHERE ${where.join(' AND ')}
               ORDER BY st.study_date DESC, st.study_time DESC, st.pk DESC LIMIT ${limit} OFFSET ${offset}) page
           JOIN study st ON st.pk = page.pk
         ORDER BY st.study_date DESC, st.study_time DESC, st.pk DESC`
      : query.level === 'series'
        ? `SELECT st.study_uid, se.series_uid, se.attributes AS series_attributes, se.num_instances AS series_num_instances,
                  ${query.studyUid === undefined ? 'st.attributes AS study_attributes, st.modalities, st.sop_classes, st.num_series, st.num_instances' : 'NULL AS study_attributes'}
           FROM series se JOIN study st ON st.pk = se.study_pk WHERE ${where.join(' AND ')}
           ORDER BY se.study_pk DESC, se.series_number, se.pk LIMIT ${limit} OFFSET ${offset}`
        : `SELECT st.study_uid, se.series_uid, i.sop_uid, i.attributes AS instance_attributes,
                  ${query.withInstanceDataset ? 'm.dataset_json' : 'NULL AS dataset_json'},
                  ${query.seriesUid === undefined ? 'se.attributes AS series_attributes, se.num_instances AS series_num_instances' : 'NULL AS series_attributes'},
                  ${query.studyUid === undefined ? 'st.attributes AS study_attributes, st.modalities, st.sop_classes, st.num_series, st.num_instances' : 'NULL AS study_attributes'}
           FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study st ON st.pk = i.study_pk
           ${query.withInstanceDataset ? 'JOIN instance_metadata m ON m.instance_pk = i.pk' : ''}
           WHERE ${where.join(' AND ')}
           ORDER BY i.study_pk DESC, se.series_number, i.series_pk, i.instance_number, i.pk
           LIMIT ${limit} OFFSET ${offset}`;
  return { text: text.replace(/\s+/g, ' ').trim(), params: params.values };
}

interface Row {
  study_uid: string;
  series_uid?: string;
  sop_uid?: string;
  study_attributes?: DicomJsonDataset | null;
  series_attributes?: DicomJsonDataset | null;
  instance_attributes?: DicomJsonDataset | null;
  dataset_json?: string | null;
  modalities?: string[];
  sop_classes?: string[];
  num_series?: number;
  num_instances?: number;
  series_num_instances?: number;
}

const element = (vr: string, values: unknown[]) => (values.length ? { vr, Value: values } : { vr });

/** Runs a search and assembles each result's attributes (stored level attributes + computed ones). */
export async function search(sql: Sql, query: SearchQuery): Promise<SearchResult> {
  const plan = planSearch(query);
  const rows = await sql.query<Row>(plan.text, plan.params);
  const more = rows.length > query.limit;
  return {
    more,
    rows: rows.slice(0, query.limit).map((row) => {
      const dataset: DicomJsonDataset = {};
      if (row.study_attributes) {
        Object.assign(dataset, row.study_attributes);
        dataset[Tag.ModalitiesInStudy] = element('CS', row.modalities ?? []);
        dataset[Tag.SOPClassesInStudy] = element('UI', row.sop_classes ?? []);
        dataset[Tag.NumberOfStudyRelatedSeries] = element('IS', [Number(row.num_series ?? 0)]);
        dataset[Tag.NumberOfStudyRelatedInstances] = element('IS', [Number(row.num_instances ?? 0)]);
      }
      if (row.series_attributes) {
        Object.assign(dataset, row.series_attributes);
        dataset[Tag.NumberOfSeriesRelatedInstances] = element('IS', [Number(row.series_num_instances ?? 0)]);
      }
      if (row.dataset_json) Object.assign(dataset, JSON.parse(row.dataset_json) as DicomJsonDataset);
      if (row.instance_attributes) Object.assign(dataset, row.instance_attributes);
      dataset[Tag.StudyInstanceUID] = element('UI', [row.study_uid]);
      if (row.series_uid) dataset[Tag.SeriesInstanceUID] = element('UI', [row.series_uid]);
      if (row.sop_uid) dataset[Tag.SOPInstanceUID] = element('UI', [row.sop_uid]);
      // PS3.18 Table 10.6.3-3/-5: every result says how available it is; everything we index is online.
      dataset[Tag.InstanceAvailability] = element('CS', ['ONLINE']);
      return { studyUid: row.study_uid, seriesUid: row.series_uid, sopUid: row.sop_uid, dataset };
    }),
  };
}
