import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { type Hl7Message, type Hl7Segment } from './hl7-message';
import {
  primaryIdentifier,
  readIdentifiers,
  readPatient,
  type PatientDemographics,
  type PatientIdentifier,
  type ReadPatientOptions,
} from './read-patient';

/** One merge: the records of `prior` become part of `target`, which survives. */
export interface PatientMerge {
  readonly target: PatientDemographics;
  /** MRG-1 (prior patient identifier list), the primary one chosen as for PID-3. */
  readonly prior: PatientIdentifier;
  /** The other MRG-1 repetitions and MRG-4 (prior patient ID, retained for backward compatibility). */
  readonly priorOtherIds: readonly PatientIdentifier[];
}

export interface AdtMerge {
  /** A40 merge patient – patient identifier list; also A34/A35/A36/A39 which share the PID + MRG form. */
  readonly event: string;
  readonly controlId: string;
  readonly merges: readonly PatientMerge[];
}

const mergeEvents = new Set(['A34', 'A35', 'A36', 'A39', 'A40']);

/**
 * Reads a merge message (v2.5 §3.3.40, ADT_A39 structure: MSH EVN {PID [PD1] MRG [PV1]}). Every PID is
 * paired with the MRG that follows it; the message may carry several pairs. Throws Hl7Error 200/201 for
 * another message, 100 when a PID has no MRG, 101 when MRG-1 has no identifier.
 */
export function adtMerge(message: Hl7Message, options: ReadPatientOptions = {}): AdtMerge {
  const { code, trigger } = message.messageType;
  const event = trigger || message.get('EVN-1');
  if (code !== 'ADT') {
    throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, `expected an ADT message, got ${code}`, {
      location: 'MSH-9-1',
    });
  }
  if (!mergeEvents.has(event)) {
    throw new Hl7Error(Hl7ErrorCode.UnsupportedEventCode, `ADT^${event} is not a merge`, { location: 'MSH-9-2' });
  }
  const merges: PatientMerge[] = [];
  let pid: Hl7Segment | undefined;
  for (const segment of message.segments()) {
    if (segment.name === 'PID') {
      if (pid) throw missingMrg(pid);
      pid = segment;
    } else if (segment.name === 'MRG') {
      if (!pid) {
        throw new Hl7Error(Hl7ErrorCode.SegmentSequenceError, 'MRG without a preceding PID', {
          location: `MRG[${segment.index}]`,
        });
      }
      const priorIds = [...readIdentifiers(segment, 1), ...readIdentifiers(segment, 4)];
      const prior = primaryIdentifier(priorIds, options.issuer);
      if (!prior) {
        throw new Hl7Error(Hl7ErrorCode.RequiredFieldMissing, 'MRG-1 (prior patient identifier list) is empty', {
          location: `MRG[${segment.index}]-1`,
        });
      }
      merges.push({ target: readPatient(pid, options), prior, priorOtherIds: priorIds.filter((x) => x !== prior) });
      pid = undefined;
    }
  }
  if (pid) throw missingMrg(pid);
  if (merges.length === 0) {
    throw new Hl7Error(Hl7ErrorCode.SegmentSequenceError, `ADT^${event} has no PID/MRG pair`, { location: 'PID' });
  }
  return { event, controlId: message.controlId, merges };
}

const missingMrg = (pid: Hl7Segment): Hl7Error =>
  new Hl7Error(Hl7ErrorCode.SegmentSequenceError, 'PID without a following MRG', { location: `PID[${pid.index}]` });
