// Search Workitems (PS3.18 §11.9): the query parameters of QIDO-RS (PS3.18 §8.3.4, parsed by
// @pacs/dicomweb's parseQidoQuery, so the matching model is the same as for studies) planned as one SQL
// statement over the workitem table's typed, indexed columns.
import { Tag } from '@pacs/dicom';
import { DicomwebError, parseQidoQuery, type QidoMatch } from '@pacs/dicomweb';
import { likePattern, normalizeForMatching } from '@pacs/index';
import { dtBoundToSqlTimestamp } from './dicom-date-time';

type ColumnKind = 'text' | 'pn' | 'uid' | 'dt';
interface Column {
  readonly sql: string;
  readonly kind: ColumnKind;
}

/**
 * The matching keys of a worklist query (PS3.4 Table CC.2.5-3 lists every UPS attribute as a matching key;
 * these are the ones a reading worklist needs, each backed by an index): state, priority, scheduled
 * date-time, modality (the Scheduled Station Class code), station, patient, request.
 */
const columns: Readonly<Record<string, Column>> = {
  [Tag.SOPInstanceUID]: { sql: 'w.uid', kind: 'uid' },
  [Tag.ProcedureStepState]: { sql: 'w.state', kind: 'text' },
  [Tag.ScheduledProcedureStepPriority]: { sql: 'w.priority', kind: 'text' },
  [Tag.ScheduledProcedureStepStartDateTime]: { sql: 'w.scheduled_start', kind: 'dt' },
  [Tag.ExpectedCompletionDateTime]: { sql: 'w.expected_completion', kind: 'dt' },
  [Tag.ScheduledProcedureStepModificationDateTime]: { sql: 'w.modified_at', kind: 'dt' },
  [Tag.InputReadinessState]: { sql: 'w.input_readiness_state', kind: 'text' },
  [Tag.ProcedureStepLabel]: { sql: 'w.procedure_step_label', kind: 'text' },
  [Tag.WorklistLabel]: { sql: 'w.worklist_label', kind: 'text' },
  [Tag.PatientID]: { sql: 'w.patient_id', kind: 'text' },
  [Tag.IssuerOfPatientID]: { sql: 'w.issuer', kind: 'text' },
  [Tag.PatientName]: { sql: 'w.patient_name_norm', kind: 'pn' },
  [Tag.StudyInstanceUID]: { sql: 'w.study_uid', kind: 'uid' },
};

const codeValue = (sql: string): Readonly<Record<string, Column>> => ({ [Tag.CodeValue]: { sql, kind: 'text' } });

/** Sequence Matching (PS3.4 C.2.2.2.6) on the items the store indexes: path of tags → column. */
const sequenceColumns: Readonly<Record<string, Readonly<Record<string, Column>>>> = {
  [Tag.ScheduledStationClassCodeSequence]: codeValue('w.modality'),
  [Tag.ScheduledStationNameCodeSequence]: codeValue('w.station_name'),
  [Tag.ScheduledStationGeographicLocationCodeSequence]: codeValue('w.station_location'),
  [`${Tag.ScheduledHumanPerformersSequence}.${Tag.HumanPerformerCodeSequence}`]: codeValue('w.performer'),
  [Tag.ReferencedRequestSequence]: {
    [Tag.AccessionNumber]: { sql: 'w.accession_number', kind: 'text' },
    [Tag.RequestedProcedureID]: { sql: 'w.requested_procedure_id', kind: 'text' },
    [Tag.StudyInstanceUID]: { sql: 'w.study_uid', kind: 'uid' },
  },
};

/** The keys a worklist query can match on, as keyword paths (for the conformance statement). */
export const workitemMatchingKeys: readonly string[] = [
  'SOPInstanceUID',
  'ProcedureStepState',
  'ScheduledProcedureStepPriority',
  'ScheduledProcedureStepStartDateTime',
  'ExpectedCompletionDateTime',
  'ScheduledProcedureStepModificationDateTime',
  'InputReadinessState',
  'ProcedureStepLabel',
  'WorklistLabel',
  'PatientID',
  'IssuerOfPatientID',
  'PatientName',
  'StudyInstanceUID',
  'ScheduledStationClassCodeSequence.CodeValue',
  'ScheduledStationNameCodeSequence.CodeValue',
  'ScheduledStationGeographicLocationCodeSequence.CodeValue',
  'ScheduledHumanPerformersSequence.HumanPerformerCodeSequence.CodeValue',
  'ReferencedRequestSequence.AccessionNumber',
  'ReferencedRequestSequence.RequestedProcedureID',
  'ReferencedRequestSequence.StudyInstanceUID',
];

export interface WorkitemSearchPlan {
  readonly text: string;
  readonly params: unknown[];
  readonly limit: number;
  readonly offset: number;
  readonly limitClamped: boolean;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const unsupported = (what: string): DicomwebError =>
  new DicomwebError('BadRequest', `Matching on ${what} is not supported by this worklist`);

function conditionSql(column: Column, match: QidoMatch, params: Params, fuzzy: boolean): string | undefined {
  const c = column.sql;
  switch (match.kind) {
    case 'universal':
      return undefined;
    case 'single': {
      if (column.kind === 'dt') return undefined; // parseQidoQuery gives DT values as ranges
      if (column.kind === 'pn') {
        const value = normalizeForMatching(match.value)!;
        if (fuzzy) return fuzzyNameSql(c, value, params);
        return `${c} = ${params.add(value)}`;
      }
      return `${c} = ${params.add(match.value)}`;
    }
    case 'wildcard': {
      if (column.kind === 'pn') {
        const value = normalizeForMatching(match.pattern)!;
        if (fuzzy) return fuzzyNameSql(c, value.replace(/\*+$/, ''), params);
        return `${c} LIKE ${params.add(likePattern(value))}`;
      }
      return `${c} LIKE ${params.add(likePattern(match.pattern))}`;
    }
    case 'range': {
      if (column.kind !== 'dt' || match.vr !== 'DT') throw unsupported(`a range of ${match.keyword || match.tag}`);
      const parts: string[] = [];
      if (match.from !== undefined) parts.push(`${c} >= ${params.add(dtBoundToSqlTimestamp(match.from))}::timestamp`);
      if (match.to !== undefined) parts.push(`${c} <= ${params.add(dtBoundToSqlTimestamp(match.to))}::timestamp`);
      return parts.length > 0 ? parts.join(' AND ') : undefined;
    }
    case 'uidList':
      return `${c} = ANY(${params.add(match.values)}::text[])`;
    case 'sequence':
      return undefined;
  }
}

/** fuzzymatching=true (PS3.18 §8.3.4.2): a query name matches as a prefix of any name component. */
function fuzzyNameSql(column: string, value: string, params: Params): string {
  const p = params.add(likePattern(value));
  return `(${column} LIKE ${p} || '%' OR ${column} LIKE '%^' || ${p} || '%' OR ${column} LIKE '% ' || ${p} || '%')`;
}

/**
 * Plans a worklist search. Every key is validated by parseQidoQuery (unknown keywords, bad values: 400);
 * a key the worklist cannot match on is a 400 too (not silently ignored, so that a misspelt filter does
 * not widen a radiologist's worklist). A key given only to be returned (universal matching) is accepted:
 * the whole workitem is returned anyway. Results come ordered by scheduled start, then creation.
 * @throws DicomwebError BadRequest
 */
export function planWorkitemSearch(
  partitionId: number,
  query: Readonly<Record<string, string | readonly string[] | undefined>>,
  options: { defaultLimit: number; maxLimit: number },
): WorkitemSearchPlan {
  const parsed = parseQidoQuery('study', query, options);
  const params = new Params();
  const where = [`w.partition_id = ${params.add(partitionId)}`];
  const add = (column: Column, match: QidoMatch): void => {
    const sql = conditionSql(column, match, params, parsed.fuzzyMatching);
    if (sql) where.push(parsed.emptyValueMatching ? `(${sql} OR ${column.sql} IS NULL)` : sql);
  };
  const walk = (matches: readonly QidoMatch[], path: string[]): void => {
    for (const match of matches) {
      if (match.kind === 'sequence') {
        walk(match.items, [...path, match.tag]);
        continue;
      }
      const column = path.length === 0 ? columns[match.tag] : sequenceColumns[path.join('.')]?.[match.tag];
      if (!column) {
        if (match.kind === 'universal') continue;
        throw unsupported([...path, match.tag].join('.'));
      }
      add(column, match);
    }
  };
  walk(parsed.matches, []);
  const limit = params.add(parsed.limit + 1);
  const offset = params.add(parsed.offset);
  const text =
    `SELECT w.uid, w.attributes FROM workitem w WHERE ${where.join(' AND ')} ` +
    `ORDER BY w.scheduled_start ASC NULLS LAST, w.pk ASC LIMIT ${limit} OFFSET ${offset}`;
  return {
    text,
    params: params.values,
    limit: parsed.limit,
    offset: parsed.offset,
    limitClamped: parsed.limitClamped,
  };
}
