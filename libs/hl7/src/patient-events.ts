// ADT → patient.updated / patients.merged (libs/contracts; key: Issuer of Patient ID and Patient ID joined
// by a vertical bar, so that the changes of one patient stay in order).
import { Topic, type BusMessage } from '@pacs/bus';
import {
  encodePatientsMerged,
  encodePatientUpdated,
  eventHeaders,
  PatientsMergedSchema,
  PatientUpdatedSchema,
} from '@pacs/contracts';
import { type AdtMerge, type Hl7Message, type PatientUpdate } from '@pacs/hl7v2';
import { hl7TimestampToMillis } from './hl7-timestamp';

/** The bus key of a patient's events (libs/contracts README). */
export const patientKey = (issuer: string, patientId: string): string => `${issuer}|${patientId}`;

/**
 * The idempotency key of a change from an HL7 message: its sender (MSH-3, MSH-4) and control id (MSH-10),
 * which the sender keeps unique and repeats when it resends; `part` tells apart the changes of one
 * message (the PID/MRG pairs of a merge).
 */
export function hl7EventId(message: Hl7Message, part?: number): string {
  const sender = `${message.get('MSH-3')}^${message.get('MSH-4')}`;
  return `hl7:${sender}:${message.controlId}${part === undefined ? '' : `#${part}`}`;
}

/** Where a change came from, as the events say it: "hl7:ADT^A08". */
export const hl7Source = (message: Hl7Message, event: string): string => `hl7:${message.messageType.code}^${event}`;

/** When the change happened: EVN-2 (recorded date/time) or MSH-7, else now. */
export function occurredAt(recordedAt: string, now: Date): Date {
  const millis = recordedAt ? hl7TimestampToMillis(recordedAt) : undefined;
  return new Date(millis ?? now.getTime());
}

/** The patient.updated message of an ADT update. */
export function patientUpdatedMessage(
  update: PatientUpdate,
  context: { partition: string; eventId: string; source: string; occurredAt: Date },
): BusMessage {
  return {
    topic: Topic.PatientUpdated,
    key: patientKey(update.issuer, update.patientId),
    value: encodePatientUpdated({
      partition: context.partition,
      patient: { patientId: update.patientId, issuerOfPatientId: update.issuer },
      patientModuleJson: Buffer.from(JSON.stringify(update.attributes), 'utf8'),
      source: context.source,
      eventId: context.eventId,
      occurredAt: BigInt(context.occurredAt.getTime()),
    }),
    headers: eventHeaders(PatientUpdatedSchema),
  };
}

/** One patients.merged per PID/MRG pair of a merge message. */
export function patientsMergedMessages(
  merge: AdtMerge,
  context: { partition: string; eventIdOf: (part: number) => string; source: string; occurredAt: Date },
): {
  message: BusMessage;
  surviving: { patientId: string; issuer: string };
  merged: { patientId: string; issuer: string };
  eventId: string;
}[] {
  return merge.merges.map((m, i) => {
    const surviving = { patientId: m.target.patientId, issuer: m.target.issuer };
    // IHE ITI TF-2a §3.8 (ADT^A40): MRG-1 is in the assigning authority domain of PID-3, so an MRG-1
    // without one means the surviving patient's.
    const merged = { patientId: m.prior.id, issuer: m.prior.issuer || m.target.issuer };
    const eventId = context.eventIdOf(i + 1);
    return {
      surviving,
      merged,
      eventId,
      message: {
        topic: Topic.PatientsMerged,
        key: patientKey(surviving.issuer, surviving.patientId),
        value: encodePatientsMerged({
          partition: context.partition,
          surviving: { patientId: surviving.patientId, issuerOfPatientId: surviving.issuer },
          merged: { patientId: merged.patientId, issuerOfPatientId: merged.issuer },
          source: context.source,
          eventId,
          occurredAt: BigInt(context.occurredAt.getTime()),
        }),
        headers: eventHeaders(PatientsMergedSchema),
      },
    };
  });
}
