// The QIDO-RS query planner: a search (level, matching keys, paging) becomes ONE parameterised SQL
// statement over typed, indexed columns (PS3.18 §10.6; matching rules of PS3.4 §C.2.2.2).
import { Tag } from '@pacs/dicom';
import { normalizeForMatching, sqlDate, sqlTime, type DicomJsonDataset } from './dataset-values';
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
      /** DA / TM values; with timeTag, DT values 'YYYYMMDDHHMMSS.FFFFFF' spanning the date and its time attribute. */
      from?: string;
      to?: string;
      /** Combined date-time matching (PS3.4 §C.2.2.2.5.1): the TM attribute paired with the DA attribute `tag`. */
      timeTag?: string;
    }
  | { kind: 'uidList'; tag: string; values: string[] }
  | { kind: 'sequence'; tag: string; items: MatchCondition[] };

export interface SearchQuery {
  level: SearchLevel;
  partitionId: number;
  /** The study / series of the resource path (/studies/{study}/series …). */
  studyUid?: string;
  seriesUid?: string;
  conditions: MatchCondition[];
  fuzzy: boolean;
  /** emptyvaluematching=true (PS3.18 §8.3.4.5): an entity without a value also matches a non-universal key. */
  emptyValueMatching?: boolean;
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
}

/** The matching keys the index supports, by tag, with the column each is matched on. */
const columns: Record<string, Column> = {
  [Tag.StudyInstanceUID]: { level: 'study', sql: 'st.study_uid', kind: 'uid' },
  [Tag.StudyDate]: { level: 'study', sql: 'st.study_date', kind: 'date' },
  [Tag.StudyTime]: { level: 'study', sql: 'st.study_time', kind: 'time' },
  [Tag.AccessionNumber]: { level: 'study', sql: 'st.accession_number', kind: 'text' },
  [Tag.StudyID]: { level: 'study', sql: 'st.study_id', kind: 'text' },
  [Tag.StudyDescription]: { level: 'study', sql: 'st.study_description', kind: 'text' },
  [Tag.ReferringPhysicianName]: { level: 'study', sql: 'st.referring_physician_norm', kind: 'pn' },
  [Tag.PatientName]: { level: 'study', sql: 'st.patient_name_norm', kind: 'pn' },
  [Tag.PatientID]: { level: 'study', sql: 'st.patient_id', kind: 'text' },
  [Tag.IssuerOfPatientID]: { level: 'study', sql: 'st.issuer', kind: 'text' },
  [Tag.PatientBirthDate]: { level: 'study', sql: 'st.patient_birth_date', kind: 'date' },
  [Tag.PatientSex]: { level: 'study', sql: 'st.patient_sex', kind: 'text' },
  [Tag.ModalitiesInStudy]: { level: 'study', sql: 'st.modalities', kind: 'array' },
  [Tag.SOPClassesInStudy]: { level: 'study', sql: 'st.sop_classes', kind: 'array' },
  [Tag.SeriesInstanceUID]: { level: 'series', sql: 'se.series_uid', kind: 'uid' },
  [Tag.Modality]: { level: 'series', sql: 'se.modality', kind: 'text' },
  [Tag.SeriesNumber]: { level: 'series', sql: 'se.series_number', kind: 'int' },
  [Tag.SeriesDescription]: { level: 'series', sql: 'se.series_description', kind: 'text' },
  [Tag.BodyPartExamined]: { level: 'series', sql: 'se.body_part_examined', kind: 'text' },
  [Tag.PerformedProcedureStepStartDate]: { level: 'series', sql: 'se.performed_start_date', kind: 'date' },
  [Tag.PerformedProcedureStepStartTime]: { level: 'series', sql: 'se.performed_start_time', kind: 'time' },
  [Tag.StationName]: { level: 'series', sql: 'se.station_name', kind: 'text' },
  [Tag.InstitutionName]: { level: 'series', sql: 'se.institution_name', kind: 'text' },
  [Tag.SOPInstanceUID]: { level: 'instance', sql: 'i.sop_uid', kind: 'uid' },
  [Tag.SOPClassUID]: { level: 'instance', sql: 'i.sop_class_uid', kind: 'uid' },
  [Tag.InstanceNumber]: { level: 'instance', sql: 'i.instance_number', kind: 'int' },
  [Tag.NumberOfFrames]: { level: 'instance', sql: 'i.number_of_frames', kind: 'int' },
  [Tag.Rows]: { level: 'instance', sql: 'i.rows', kind: 'int' },
  [Tag.Columns]: { level: 'instance', sql: 'i.columns', kind: 'int' },
  [Tag.ContentDate]: { level: 'instance', sql: 'i.content_date', kind: 'date' },
  [Tag.ContentTime]: { level: 'instance', sql: 'i.content_time', kind: 'time' },
};

/** Sequence matching (PS3.4 §C.2.2.2.6) on the items the index keeps: RequestAttributesSequence. */
const sequenceColumns: Record<string, Record<string, Column>> = {
  [Tag.RequestAttributesSequence]: {
    [Tag.ScheduledProcedureStepID]: { level: 'series', sql: 'se.scheduled_procedure_step_ids', kind: 'array' },
    [Tag.RequestedProcedureID]: { level: 'series', sql: 'se.requested_procedure_ids', kind: 'array' },
  },
};

const levelRank: Record<SearchLevel, number> = { study: 0, series: 1, instance: 2 };

/** The tags a search at `level` can match on (for error messages and the conformance statement). */
export function supportedMatchingKeys(level: SearchLevel): string[] {
  return Object.entries(columns)
    .filter(([, c]) => levelRank[c.level] <= levelRank[level])
    .map(([tag]) => tag);
}

/** A DICOM wildcard pattern (PS3.4 §C.2.2.2.4: * any sequence, ? one character) as a LIKE pattern. */
export function likePattern(pattern: string): string {
  return pattern
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function typed(column: Column, value: string): unknown {
  switch (column.kind) {
    case 'date': {
      const d = sqlDate(value);
      if (d === undefined) throw new UnsupportedMatchError('', `'${value}' is not a valid DA value`);
      return d;
    }
    case 'time': {
      const t = sqlTime(value);
      if (t === undefined) throw new UnsupportedMatchError('', `'${value}' is not a valid TM value`);
      return t;
    }
    case 'int': {
      const n = Number(value.trim());
      if (!Number.isInteger(n)) throw new UnsupportedMatchError('', `'${value}' is not a valid IS value`);
      return n;
    }
    case 'pn':
      return normalizeForMatching(value);
    default:
      return value;
  }
}

const castOf: Record<ColumnKind, string> = {
  text: 'text',
  pn: 'text',
  uid: 'text',
  date: 'date',
  time: 'time',
  int: 'int',
  array: 'text',
};

/** The SQL condition of one matching key on its column. */
function conditionSql(column: Column, match: MatchCondition, params: Params, fuzzy: boolean): string | undefined {
  const c = column.sql;
  const cast = castOf[column.kind];
  switch (match.kind) {
    case 'universal':
      return undefined;
    case 'single': {
      if (column.kind === 'array') return `${c} @> ARRAY[${params.add(match.value)}::text]`;
      if (column.kind === 'pn' && fuzzy) return fuzzyNameSql(c, match.value, params);
      return `${c} = ${params.add(typed(column, match.value))}::${cast}`;
    }
    case 'wildcard': {
      const value = column.kind === 'pn' ? normalizeForMatching(match.pattern)! : match.pattern;
      if (column.kind === 'array') {
        return `EXISTS (SELECT 1 FROM unnest(${c}) AS v WHERE v LIKE ${params.add(likePattern(value))})`;
      }
      if (column.kind === 'pn' && fuzzy) return fuzzyNameSql(c, match.pattern, params);
      // A lone '*' matches everything, including absent values (PS3.4 §C.2.2.2.4).
      if (/^\*+$/.test(match.pattern)) return undefined;
      return `${c} LIKE ${params.add(likePattern(value))}`;
    }
    case 'range': {
      const parts: string[] = [];
      if (match.from) parts.push(`${c} >= ${params.add(typed(column, match.from))}::${cast}`);
      if (match.to) parts.push(`${c} <= ${params.add(typed(column, match.to))}::${cast}`);
      return parts.length ? parts.join(' AND ') : undefined;
    }
    case 'uidList':
      if (column.kind === 'array') return `${c} && ${params.add(match.values)}::text[]`;
      return `${c} = ANY(${params.add(match.values.map((v) => typed(column, v)))}::${cast}[])`;
    case 'sequence':
      return undefined;
  }
}

/**
 * fuzzymatching=true (PS3.18 §8.3.4.1): a person name matches when any of its name components starts
 * with the query value (case and accents ignored), e.g. 'joh' matches 'Doe^John'.
 */
function fuzzyNameSql(column: string, value: string, params: Params): string {
  const v = likePattern(normalizeForMatching(value.replace(/\*+$/, ''))!);
  const p = params.add(v);
  return `(${column} LIKE ${p} || '%' OR ${column} LIKE '%^' || ${p} || '%' OR ${column} LIKE '% ' || ${p} || '%')`;
}

/**
 * A combined date-time range (PS3.4 §C.2.2.2.5.1): bounds are DT values; the stored date and time are
 * compared as one instant (an absent time counts as the start of the day).
 */
function dateTimeRangeSql(
  date: Column,
  time: Column,
  match: Extract<MatchCondition, { kind: 'range' }>,
  params: Params,
): string {
  const row = `(${date.sql}, COALESCE(${time.sql}, '00:00'::time))`;
  const bound = (dt: string) => {
    const d = dt.slice(0, 8);
    const t = dt.length > 8 ? dt.slice(8) : '000000';
    return `(${params.add(typed(date, d))}::date, ${params.add(typed(time, t))}::time)`;
  };
  const parts: string[] = [];
  if (match.from) parts.push(`${row} >= ${bound(match.from)}`);
  if (match.to) parts.push(`${row} <= ${bound(match.to)}`);
  return parts.join(' AND ') || 'TRUE';
}

/** The column a (top-level or sequence item) key is matched on at this level, or an UnsupportedMatchError. */
function columnOf(tag: string, rank: number, level: SearchLevel, within?: string): Column {
  const column = within ? sequenceColumns[within]?.[tag] : columns[tag];
  if (!column || levelRank[column.level] > rank) {
    throw new UnsupportedMatchError(
      within ?? tag,
      within
        ? `Sequence matching on ${within}.${tag} is not supported`
        : `Matching on ${tag} is not supported at the ${level} level`,
    );
  }
  return column;
}

interface Plan {
  text: string;
  params: unknown[];
}

/** Plans a search as one SQL statement. Throws UnsupportedMatchError for keys the index cannot match. */
export function planSearch(query: SearchQuery): Plan {
  const params = new Params();
  const where: string[] = [];
  const rank = levelRank[query.level];
  where.push(`${rank === 0 ? 'st' : rank === 1 ? 'se' : 'i'}.partition_id = ${params.add(query.partitionId)}`);
  if (query.studyUid !== undefined) where.push(`st.study_uid = ${params.add(query.studyUid)}`);
  if (query.seriesUid !== undefined) where.push(`se.series_uid = ${params.add(query.seriesUid)}`);

  const add = (column: Column, match: MatchCondition) => {
    let sql: string | undefined;
    try {
      sql =
        match.kind === 'range' && match.timeTag
          ? dateTimeRangeSql(column, columnOf(match.timeTag, rank, query.level), match, params)
          : conditionSql(column, match, params, query.fuzzy);
    } catch (e) {
      if (e instanceof UnsupportedMatchError && !e.tag)
        throw new UnsupportedMatchError(match.tag, `${match.tag}: ${e.message}`);
      throw e;
    }
    if (sql)
      where.push(query.emptyValueMatching && column.kind !== 'array' ? `(${sql} OR ${column.sql} IS NULL)` : sql);
  };
  for (const match of query.conditions) {
    if (match.kind === 'sequence') {
      for (const item of match.items) add(columnOf(item.tag, rank, query.level, match.tag), item);
      continue;
    }
    if (match.kind === 'universal' && (!columns[match.tag] || levelRank[columns[match.tag]!.level] > rank)) continue; // only asks for the attribute
    add(columnOf(match.tag, rank, query.level), match);
  }

  const limit = params.add(query.limit + 1);
  const offset = params.add(query.offset);
  const text =
    query.level === 'study'
      ? `SELECT st.study_uid, st.attributes AS study_attributes, st.modalities, st.sop_classes, st.num_series, st.num_instances
         FROM study st WHERE ${where.join(' AND ')}
         ORDER BY st.study_date DESC NULLS LAST, st.study_time DESC NULLS LAST, st.pk DESC LIMIT ${limit} OFFSET ${offset}`
      : query.level === 'series'
        ? `SELECT st.study_uid, se.series_uid, se.attributes AS series_attributes, se.num_instances AS series_num_instances,
                  ${query.studyUid === undefined ? 'st.attributes AS study_attributes, st.modalities, st.sop_classes, st.num_series, st.num_instances' : 'NULL AS study_attributes'}
           FROM series se JOIN study st ON st.pk = se.study_pk WHERE ${where.join(' AND ')}
           ORDER BY st.pk DESC, se.series_number NULLS LAST, se.pk LIMIT ${limit} OFFSET ${offset}`
        : `SELECT st.study_uid, se.series_uid, i.sop_uid, i.attributes AS instance_attributes,
                  ${query.withInstanceDataset ? 'm.dataset_json' : 'NULL AS dataset_json'},
                  ${query.seriesUid === undefined ? 'se.attributes AS series_attributes, se.num_instances AS series_num_instances' : 'NULL AS series_attributes'},
                  ${query.studyUid === undefined ? 'st.attributes AS study_attributes, st.modalities, st.sop_classes, st.num_series, st.num_instances' : 'NULL AS study_attributes'}
           FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study st ON st.pk = i.study_pk
           ${query.withInstanceDataset ? 'JOIN instance_metadata m ON m.instance_pk = i.pk' : ''}
           WHERE ${where.join(' AND ')}
           ORDER BY st.pk DESC, se.series_number NULLS LAST, se.pk, i.instance_number NULLS LAST, i.pk
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
