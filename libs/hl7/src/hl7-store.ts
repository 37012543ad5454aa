import { type DicomJsonDataset } from '@pacs/dicom';
import { applyMigrations, listMigrations, type Sql } from '@pacs/index';
import { join } from 'node:path';

/** The hl7 feature's migrations (SQL beside this file, copied next to dist/ by the build). */
export const hl7MigrationsDir = join(__dirname, 'migrations');
/** Where the feature records the migrations it applied, apart from the index's history. */
export const hl7MigrationsTable = '_hl7_migrations';

export interface PatientKey {
  readonly partitionId: number;
  readonly patientId: string;
  readonly issuer: string;
}

export interface PatientRecord extends PatientKey {
  readonly attributes: DicomJsonDataset;
  readonly occurredAt: Date;
  readonly mergedInto?: { patientId: string; issuer: string };
}

/** One thing to send: an ORU^R01 over MLLP or a webhook POST. */
export interface OutboxEntry {
  /** Idempotency key: an entry with a key already queued is not queued again. */
  readonly key: string;
  readonly channel: OutboxChannel;
  /** 'host:port' for MLLP, the URL for a webhook. */
  readonly destination: string;
  /** The HL7 message (ER7) or the JSON body. */
  readonly payload: string;
}

export const OutboxChannel = { Mllp: 'mllp', Webhook: 'webhook' } as const;
export type OutboxChannel = (typeof OutboxChannel)[keyof typeof OutboxChannel];

export interface ClaimedEntry extends OutboxEntry {
  readonly pk: string;
  readonly attempts: number;
}

export interface OutboxState {
  readonly key: string;
  readonly attempts: number;
  readonly delivered: boolean;
  readonly lastError: string | null;
}

const asJson = (v: unknown): DicomJsonDataset => (typeof v === 'string' ? JSON.parse(v) : v) as DicomJsonDataset;

/**
 * The hl7 feature's tables (libs/hl7/src/migrations): the patient records and their audit trail, the
 * outbox, the pollers' cursors.
 */
export class Hl7Store {
  constructor(private readonly sql: Sql) {}

  migrate(): Promise<string[]> {
    return applyMigrations(this.sql, listMigrations(hl7MigrationsDir), { table: hl7MigrationsTable });
  }

  /**
   * Records a patient update: its audit row (once per event id) and the current record, whose attributes
   * the update's replace (an attribute without value stays, meaning "cleared"). An update older than the
   * record (occurredAt) is audited but does not change it. Returns false when the event was seen before.
   */
  async recordPatientUpdate(
    key: PatientKey,
    update: { eventId: string; source: string; attributes: DicomJsonDataset; occurredAt: Date },
  ): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO hl7_patient_event (event_id, kind, source, partition_id, patient_id, issuer, attributes, occurred_at)
         VALUES ($1, 'updated', $2, $3, $4, $5, $6::jsonb, $7::timestamptz) ON CONFLICT (event_id) DO NOTHING RETURNING pk`,
        [
          update.eventId,
          update.source,
          key.partitionId,
          key.patientId,
          key.issuer,
          JSON.stringify(update.attributes),
          update.occurredAt.toISOString(),
        ],
      );
      if (inserted.length === 0) return false;
      await tx.execute(
        `INSERT INTO hl7_patient (partition_id, patient_id, issuer, attributes, occurred_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz)
         ON CONFLICT (partition_id, patient_id, issuer) DO UPDATE
           SET attributes = hl7_patient.attributes || EXCLUDED.attributes, occurred_at = EXCLUDED.occurred_at,
               updated_at = now()
           WHERE hl7_patient.occurred_at <= EXCLUDED.occurred_at`,
        [
          key.partitionId,
          key.patientId,
          key.issuer,
          JSON.stringify(update.attributes),
          update.occurredAt.toISOString(),
        ],
      );
      return true;
    });
  }

  /** Records a merge: its audit row and the merged patient's pointer to the surviving one. */
  async recordMerge(
    surviving: PatientKey,
    merged: { patientId: string; issuer: string },
    event: { eventId: string; source: string; occurredAt: Date },
  ): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO hl7_patient_event (event_id, kind, source, partition_id, patient_id, issuer, merged_patient_id, merged_issuer, occurred_at)
         VALUES ($1, 'merged', $2, $3, $4, $5, $6, $7, $8::timestamptz) ON CONFLICT (event_id) DO NOTHING RETURNING pk`,
        [
          event.eventId,
          event.source,
          surviving.partitionId,
          surviving.patientId,
          surviving.issuer,
          merged.patientId,
          merged.issuer,
          event.occurredAt.toISOString(),
        ],
      );
      if (inserted.length === 0) return false;
      await tx.execute(
        `INSERT INTO hl7_patient (partition_id, patient_id, issuer, attributes, occurred_at, merged_into_patient_id, merged_into_issuer)
         VALUES ($1, $2, $3, '{}'::jsonb, $4::timestamptz, $5, $6)
         ON CONFLICT (partition_id, patient_id, issuer) DO UPDATE
           SET merged_into_patient_id = EXCLUDED.merged_into_patient_id, merged_into_issuer = EXCLUDED.merged_into_issuer,
               updated_at = now()`,
        [
          surviving.partitionId,
          merged.patientId,
          merged.issuer,
          event.occurredAt.toISOString(),
          surviving.patientId,
          surviving.issuer,
        ],
      );
      return true;
    });
  }

  /** Notes that the event is on the bus (the audit trail says when). */
  async markPublished(eventId: string): Promise<void> {
    await this.sql.execute(
      'UPDATE hl7_patient_event SET published_at = now() WHERE event_id = $1 AND published_at IS NULL',
      [eventId],
    );
  }

  async patient(key: PatientKey): Promise<PatientRecord | undefined> {
    const rows = await this.sql.query<{
      attributes: unknown;
      occurred_at: Date;
      merged_into_patient_id: string | null;
      merged_into_issuer: string | null;
    }>(
      `SELECT attributes, occurred_at, merged_into_patient_id, merged_into_issuer FROM hl7_patient
       WHERE partition_id = $1 AND patient_id = $2 AND issuer = $3`,
      [key.partitionId, key.patientId, key.issuer],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...key,
      attributes: asJson(row.attributes),
      occurredAt: new Date(row.occurred_at),
      ...(row.merged_into_patient_id !== null
        ? { mergedInto: { patientId: row.merged_into_patient_id, issuer: row.merged_into_issuer ?? '' } }
        : {}),
    };
  }

  /** The audit trail of a patient, oldest first. */
  async patientEvents(
    key: PatientKey,
  ): Promise<{ eventId: string; kind: string; source: string; published: boolean }[]> {
    const rows = await this.sql.query<{ event_id: string; kind: string; source: string; published_at: Date | null }>(
      `SELECT event_id, kind, source, published_at FROM hl7_patient_event
       WHERE partition_id = $1 AND patient_id = $2 AND issuer = $3 ORDER BY pk`,
      [key.partitionId, key.patientId, key.issuer],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      kind: r.kind,
      source: r.source,
      published: r.published_at !== null,
    }));
  }

  /** Queues entries (those whose key is queued already are skipped); returns how many were new. */
  async enqueue(entries: readonly OutboxEntry[]): Promise<number> {
    let added = 0;
    for (const e of entries) {
      const rows = await this.sql.query(
        `INSERT INTO hl7_outbox (key, channel, destination, payload) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO NOTHING RETURNING pk`,
        [e.key, e.channel, e.destination, e.payload],
      );
      added += rows.length;
    }
    return added;
  }

  /**
   * Takes up to `limit` entries that are due and not taken by another worker, for `leaseMs` (a worker that
   * dies leaves them to the next one after that). FOR UPDATE SKIP LOCKED: replicas never take the same one.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedEntry[]> {
    const rows = await this.sql.query<{
      pk: unknown;
      key: string;
      channel: OutboxChannel;
      destination: string;
      payload: string;
      attempts: number;
    }>(
      `UPDATE hl7_outbox SET claimed_until = now() + make_interval(secs => $1::double precision / 1000)
       WHERE pk IN (SELECT pk FROM hl7_outbox
                    WHERE delivered_at IS NULL AND next_attempt_at <= now()
                      AND (claimed_until IS NULL OR claimed_until < now())
                    ORDER BY pk LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING pk, key, channel, destination, payload, attempts`,
      [leaseMs, limit],
    );
    return rows
      .map((r) => ({ ...r, pk: String(r.pk), attempts: Number(r.attempts) }))
      .sort((a, b) => Number(BigInt(a.pk) - BigInt(b.pk)));
  }

  async delivered(pk: string): Promise<void> {
    await this.sql.execute(
      'UPDATE hl7_outbox SET delivered_at = now(), attempts = attempts + 1, claimed_until = NULL, last_error = NULL WHERE pk = $1::bigint',
      [pk],
    );
  }

  async failed(pk: string, error: string, retryInMs: number): Promise<void> {
    await this.sql.execute(
      `UPDATE hl7_outbox SET attempts = attempts + 1, claimed_until = NULL, last_error = $2,
         next_attempt_at = now() + make_interval(secs => $3::double precision / 1000) WHERE pk = $1::bigint`,
      [pk, error.slice(0, 1000), retryInMs],
    );
  }

  /** Entries not delivered yet. */
  async pending(): Promise<number> {
    const rows = await this.sql.query<{ n: unknown }>(
      'SELECT count(*) AS n FROM hl7_outbox WHERE delivered_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0);
  }

  async outboxState(key: string): Promise<OutboxState | undefined> {
    const rows = await this.sql.query<{
      key: string;
      attempts: number;
      delivered_at: Date | null;
      last_error: string | null;
    }>('SELECT key, attempts, delivered_at, last_error FROM hl7_outbox WHERE key = $1', [key]);
    const r = rows[0];
    return (
      r && { key: r.key, attempts: Number(r.attempts), delivered: r.delivered_at !== null, lastError: r.last_error }
    );
  }

  async cursor(name: string): Promise<string | undefined> {
    const rows = await this.sql.query<{ value: string }>('SELECT value FROM hl7_cursor WHERE name = $1', [name]);
    return rows[0]?.value;
  }

  async setCursor(name: string, value: string): Promise<void> {
    await this.sql.execute(
      `INSERT INTO hl7_cursor (name, value) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [name, value],
    );
  }
}
