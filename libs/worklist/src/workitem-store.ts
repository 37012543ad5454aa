import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import { applyMigrations, listMigrations, type Sql } from '@pacs/index';
import { join } from 'node:path';
import { sqlTimestampOf } from './dicom-date-time';
import { type WorkitemSearchPlan } from './plan-workitem-search';
import { type ProcedureStepState } from './ups';
import { workitemColumns } from './workitem-columns';
import { type StoredWorkitem, type WorkitemChange } from './workitem-rules';

/** The worklist's migrations (SQL beside this file, copied next to dist/ by the build). */
export const worklistMigrationsDir = join(__dirname, 'migrations');
/** Where the worklist records the migrations it applied: its own history, apart from the index's. */
export const worklistMigrationsTable = '_worklist_migrations';

interface Row {
  uid: string;
  state: string;
  transaction_uid: string | null;
  in_progress_at: Date | string | null;
  attributes: DicomJsonDataset | string;
}

const columnsSql =
  'state, transaction_uid, in_progress_at, priority, scheduled_start, expected_completion, modified_at, ' +
  'input_readiness_state, procedure_step_label, worklist_label, modality, station_name, station_location, ' +
  'performer, patient_id, issuer, patient_name_norm, accession_number, requested_procedure_id, study_uid, attributes';

/** The values of columnsSql for a workitem, and their placeholders starting at $`first`. */
function columnValues(change: WorkitemChange, now: Date, first: number): { values: unknown[]; placeholders: string } {
  // The data set's Procedure Step State always says the state the row is in.
  const dataset = { ...change.dataset, [Tag.ProcedureStepState]: { vr: 'CS', Value: [change.state] } };
  const c = workitemColumns(dataset);
  const values = [
    change.state,
    change.transactionUid,
    change.inProgressAt ? sqlTimestampOf(change.inProgressAt) : null,
    c.priority,
    c.scheduledStart,
    c.expectedCompletion,
    sqlTimestampOf(now),
    c.inputReadinessState,
    c.procedureStepLabel,
    c.worklistLabel,
    c.modality,
    c.stationName,
    c.stationLocation,
    c.performer,
    c.patientId,
    c.issuer,
    c.patientNameNorm,
    c.accessionNumber,
    c.requestedProcedureId,
    c.studyUid,
    JSON.stringify(dataset),
  ];
  const casts: Record<number, string> = {
    2: '::timestamp',
    4: '::timestamp',
    5: '::timestamp',
    6: '::timestamp',
    20: '::jsonb',
  };
  const placeholders = values.map((_, i) => `$${first + i}${casts[i] ?? ''}`).join(', ');
  return { values, placeholders };
}

const asDate = (v: Date | string | null): Date | null =>
  v === null ? null : v instanceof Date ? v : new Date(`${v.replace(' ', 'T')}Z`);

function storedOf(row: Row): StoredWorkitem {
  return {
    uid: row.uid,
    state: row.state as ProcedureStepState,
    transactionUid: row.transaction_uid,
    inProgressAt: asDate(row.in_progress_at),
    dataset: typeof row.attributes === 'string' ? (JSON.parse(row.attributes) as DicomJsonDataset) : row.attributes,
  };
}

/** A database failure is the service's, not the request's: 503, retryable. */
function unavailable(error: unknown): never {
  if (error instanceof DicomwebError) throw error;
  throw new DicomwebError('Unavailable', 'The worklist database cannot be reached', { cause: error, retryable: true });
}

/**
 * The workitem table (libs/worklist/src/migrations): one row per UPS instance, the data set as JSONB and
 * the matching keys as typed columns. Every change to a workitem runs in one transaction that holds its
 * row (SELECT … FOR UPDATE), so two clients claiming one workitem cannot both succeed.
 */
export class WorkitemStore {
  constructor(private readonly sql: Sql) {}

  /** Applies the worklist's migrations (idempotent; replicas starting together apply each once). */
  migrate(): Promise<string[]> {
    return applyMigrations(this.sql, listMigrations(worklistMigrationsDir), { table: worklistMigrationsTable });
  }

  /** Adds a workitem; false when one with this UID exists already (nothing is changed then). */
  async insert(partitionId: number, uid: string, change: WorkitemChange, now: Date): Promise<boolean> {
    const { values, placeholders } = columnValues(change, now, 3);
    try {
      const rows = await this.sql.query<{ pk: unknown }>(
        `INSERT INTO workitem (partition_id, uid, ${columnsSql}) VALUES ($1, $2, ${placeholders})
         ON CONFLICT (partition_id, uid) DO NOTHING RETURNING pk`,
        [partitionId, uid, ...values],
      );
      return rows.length === 1;
    } catch (error) {
      return unavailable(error);
    }
  }

  async get(partitionId: number, uid: string): Promise<StoredWorkitem | undefined> {
    try {
      const rows = await this.sql.query<Row>(
        'SELECT uid, state, transaction_uid, in_progress_at, attributes FROM workitem WHERE partition_id = $1 AND uid = $2',
        [partitionId, uid],
      );
      return rows[0] ? storedOf(rows[0]) : undefined;
    } catch (error) {
      return unavailable(error);
    }
  }

  /**
   * Runs `decide` on the current workitem while holding its row and writes what it returns (unless it
   * says `unchanged`). Throws DicomwebError NotFound when there is no such workitem; what `decide` throws
   * rolls the transaction back and is rethrown.
   */
  async modify(
    partitionId: number,
    uid: string,
    decide: (current: StoredWorkitem) => WorkitemChange,
    now: Date,
  ): Promise<{ before: StoredWorkitem; after: WorkitemChange }> {
    try {
      return await this.sql.transaction(async (tx) => {
        const rows = await tx.query<Row>(
          `SELECT uid, state, transaction_uid, in_progress_at, attributes FROM workitem
           WHERE partition_id = $1 AND uid = $2 FOR UPDATE`,
          [partitionId, uid],
        );
        if (!rows[0]) throw new DicomwebError('NotFound', 'The Target Workitem was not found');
        const before = storedOf(rows[0]);
        const after = decide(before);
        if (!after.unchanged) {
          const { values, placeholders } = columnValues(after, now, 3);
          const assignments = columnsSql
            .split(', ')
            .map((column, i) => `${column} = ${placeholders.split(', ')[i]}`)
            .join(', ');
          await tx.execute(`UPDATE workitem SET ${assignments} WHERE partition_id = $1 AND uid = $2`, [
            partitionId,
            uid,
            ...values,
          ]);
        }
        return { before, after };
      });
    } catch (error) {
      return unavailable(error);
    }
  }

  /** Runs a planned search; `more` says whether matches exist beyond the limit. */
  async search(
    plan: WorkitemSearchPlan,
  ): Promise<{ rows: { uid: string; dataset: DicomJsonDataset }[]; more: boolean }> {
    let rows: Pick<Row, 'uid' | 'attributes'>[];
    try {
      rows = await this.sql.query(plan.text, plan.params);
    } catch (error) {
      return unavailable(error);
    }
    return {
      more: rows.length > plan.limit,
      rows: rows.slice(0, plan.limit).map((row) => ({
        uid: row.uid,
        dataset: typeof row.attributes === 'string' ? (JSON.parse(row.attributes) as DicomJsonDataset) : row.attributes,
      })),
    };
  }
}
