import { Topic, type BusMessage, type EventBus, type Subscription } from '@pacs/bus';
import { decodePatientsMerged, decodePatientUpdated } from '@pacs/contracts';
import type { DicomJsonDataset } from '@pacs/dicom';
import { mergePatients, updatePatient, type IndexDatabase } from '@pacs/index';
import { EVENT_BUS, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { indexConsumerGroupOf, partitionOf } from './instance-stored.consumer';

/** A Patient module that is not a DICOM JSON object: the event cannot be applied, now or later. */
class PatientModuleError extends Error {
  readonly retryable = false;
}

function moduleOf(bytes: Uint8Array): DicomJsonDataset {
  let parsed: unknown;
  try {
    parsed = bytes.length === 0 ? {} : JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new PatientModuleError('patient.updated: patient_module_json is not JSON', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PatientModuleError('patient.updated: patient_module_json is not a DICOM JSON data set');
  }
  return parsed as DicomJsonDataset;
}

/**
 * The patient events of the source of truth (the hl7 service): patient.updated replaces a patient's
 * demographics in the index and in the studies QIDO-RS returns; patients.merged moves the merged patient's
 * studies to the surviving one. Each event in its own transaction, in the order of its partition (the key is
 * the patient, so one patient's events stay ordered); both are idempotent, and an update older than the one
 * applied is skipped.
 */
@Injectable()
export class PatientEventsConsumer {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscriptions.push(
      await this.bus.subscribe({
        topic: Topic.PatientUpdated,
        group: indexConsumerGroupOf(Topic.PatientUpdated),
        handler: (batch) => this.updated(batch),
      }),
      await this.bus.subscribe({
        topic: Topic.PatientsMerged,
        group: indexConsumerGroupOf(Topic.PatientsMerged),
        handler: (batch) => this.merged(batch),
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((s) => s.close()));
  }

  async updated(batch: BusMessage[]): Promise<void> {
    for (const message of batch) {
      const event = decodePatientUpdated(message.value, message.headers);
      if (!event.patient) throw new PatientModuleError('patient.updated without a patient');
      const outcome = await updatePatient(this.db.sql, {
        partitionId: partitionOf(event.partition),
        patientId: event.patient.patientId,
        issuer: event.patient.issuerOfPatientId,
        module: moduleOf(event.patientModuleJson),
        occurredAt: Number(event.occurredAt),
      });
      this.logger.debug({ eventId: event.eventId, outcome: outcome.kind }, 'patient.updated applied');
    }
  }

  async merged(batch: BusMessage[]): Promise<void> {
    for (const message of batch) {
      const event = decodePatientsMerged(message.value, message.headers);
      if (!event.surviving || !event.merged) throw new PatientModuleError('patients.merged without both patients');
      const outcome = await mergePatients(this.db.sql, {
        partitionId: partitionOf(event.partition),
        surviving: { patientId: event.surviving.patientId, issuer: event.surviving.issuerOfPatientId },
        merged: { patientId: event.merged.patientId, issuer: event.merged.issuerOfPatientId },
        eventId: event.eventId,
      });
      this.logger.debug({ eventId: event.eventId, studies: outcome.studies }, 'patients.merged applied');
    }
  }
}
