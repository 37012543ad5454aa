import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { type Hl7Message } from './hl7-message';
import { readPatient, type PatientDemographics, type ReadPatientOptions } from './read-patient';

/**
 * The ADT events that carry a patient's demographics (v2.5 §3.3): admit (A01), register (A04),
 * pre-admit (A05), update (A08), add/update person (A28/A31) and the visit-level events that resend PID
 * (A02 transfer, A03 discharge, A06/A07 class change). Merges (A40 …) go through adtMerge.
 */
export const patientUpdateEvents = ['A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A28', 'A31'] as const;
export type PatientUpdateEvent = (typeof patientUpdateEvents)[number];

export interface PatientUpdate extends PatientDemographics {
  readonly event: PatientUpdateEvent;
  /** MSH-10, for idempotency (the same message twice changes nothing). */
  readonly controlId: string;
  /** EVN-2 (recorded date/time) or MSH-7, as sent. */
  readonly recordedAt: string;
}

/**
 * The patient update an ADT message asks for. The event is MSH-9.2, or EVN-1 when MSH-9.2 is empty
 * (v2.3 senders). Throws Hl7Error 200 when the message is not ADT, 201 for an event that is not a
 * patient update, 100 when PID is missing, 101 when PID-3 has no identifier.
 */
export function adtToPatientUpdate(message: Hl7Message, options: ReadPatientOptions = {}): PatientUpdate {
  const { code, trigger } = message.messageType;
  if (code !== 'ADT') {
    throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, `expected an ADT message, got ${code}`, {
      location: 'MSH-9-1',
    });
  }
  const event = trigger || message.get('EVN-1');
  if (!(patientUpdateEvents as readonly string[]).includes(event)) {
    throw new Hl7Error(Hl7ErrorCode.UnsupportedEventCode, `ADT^${event} is not a patient update`, {
      location: 'MSH-9-2',
    });
  }
  const pid = message.segment('PID');
  if (!pid) {
    throw new Hl7Error(Hl7ErrorCode.SegmentSequenceError, `ADT^${event} has no PID segment`, { location: 'PID' });
  }
  return {
    event: event as PatientUpdateEvent,
    controlId: message.controlId,
    recordedAt: message.get('EVN-2') || message.get('MSH-7'),
    ...readPatient(pid, options),
  };
}
