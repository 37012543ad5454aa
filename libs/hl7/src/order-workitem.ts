// An imaging order's scheduled procedure step as a UPS workitem (PS3.4 Annex CC, Table CC.2.5-3).
import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { type ProcedureOrder, type ProcedureStep } from '@pacs/hl7v2';
import { uidFromName } from './uid-from-name';

/**
 * Coding Scheme Designator of the station codes made from an order's station AE title or name: a local
 * scheme, "99" prefixed as PS3.16 §8.2 asks of private ones.
 */
export const stationCodingScheme = '99PACS';

/**
 * The Workitem UID of a procedure step: named after what identifies the step at the RIS — placer and
 * filler order numbers, requested procedure and scheduled procedure step ids (the accession number when
 * those are missing) — so every message about the step (new, change, cancel, status) names the same
 * workitem, and a message received twice creates nothing new.
 */
export function workitemUidOf(step: ProcedureStep): string {
  const ids = [
    step.placerOrderNumber,
    step.fillerOrderNumber,
    step.requestedProcedureId,
    step.scheduledProcedureStepId,
  ];
  const key = ids.some((id) => id !== '') ? ids.join('|') : `accession|${step.accessionNumber}`;
  return uidFromName(`order-step|${key}`);
}

/** The Transaction UID with which the hl7 feature claims the workitems whose status the RIS reports. */
export const hl7TransactionUidOf = (workitemUid: string): string => uidFromName(`hl7-owner|${workitemUid}`);

const code = (value: string, scheme: string, meaning: string): DicomJsonDataset => ({
  [Tag.CodeValue]: { vr: 'SH', Value: [value.slice(0, 16)] },
  [Tag.CodingSchemeDesignator]: { vr: 'SH', Value: [scheme] },
  [Tag.CodeMeaning]: { vr: 'LO', Value: [meaning.slice(0, 64)] },
});

const formatDt = (date: Date): string =>
  date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.(\d{3})Z$/, '.$1000+0000');

/**
 * The workitem of a step: orderToProcedureStep's `workitem` (patient, state, priority, start, label,
 * requested procedure code, Referenced Request Sequence), completed with what a worklist query needs and
 * UPS-RS Create requires (PS3.4 Table CC.2.5-3, Type 1):
 * - Scheduled Station Class Code Sequence: the modality as its DCM code (CID 29, e.g. CT);
 * - Scheduled Station Name Code Sequence: the station AE title (else station name), local scheme;
 * - Scheduled Station Geographic Location Code Sequence: the SPS location;
 * - Scheduled Procedure Step Priority MEDIUM, Procedure Step Label, Scheduled Procedure Step Start
 *   DateTime (now) and Input Readiness State READY when the order does not say.
 * `forCreate` keeps Procedure Step State SCHEDULED (the state an order's status reaches is reached by
 * state changes afterwards); otherwise the state is left out, as Update requires.
 */
export function workitemOfStep(
  step: ProcedureStep,
  order: ProcedureOrder,
  options: { now: Date; forCreate: boolean },
): DicomJsonDataset {
  const ds: DicomJsonDataset = { ...step.workitem };
  if (options.forCreate) ds[Tag.ProcedureStepState] = { vr: 'CS', Value: ['SCHEDULED'] };
  else delete ds[Tag.ProcedureStepState];
  ds[Tag.ScheduledProcedureStepPriority] ??= { vr: 'CS', Value: ['MEDIUM'] };
  if (!ds[Tag.ProcedureStepLabel]?.Value?.length) {
    const label =
      step.requestedProcedureDescription || step.scheduledProcedureStepDescription || `${order.messageType} order`;
    ds[Tag.ProcedureStepLabel] = { vr: 'LO', Value: [label.slice(0, 64)] };
  }
  if (!ds[Tag.ScheduledProcedureStepStartDateTime]?.Value?.length) {
    ds[Tag.ScheduledProcedureStepStartDateTime] = { vr: 'DT', Value: [formatDt(options.now)] };
  }
  ds[Tag.InputReadinessState] ??= { vr: 'CS', Value: ['READY'] };
  if (step.modality) {
    ds[Tag.ScheduledStationClassCodeSequence] = { vr: 'SQ', Value: [code(step.modality, 'DCM', step.modality)] };
  }
  const station = step.scheduledStationAeTitle || step.scheduledStationName;
  if (station) {
    const meaning = step.scheduledStationName || step.scheduledStationAeTitle;
    ds[Tag.ScheduledStationNameCodeSequence] = { vr: 'SQ', Value: [code(station, stationCodingScheme, meaning)] };
  }
  if (step.scheduledProcedureStepLocation) {
    const location = step.scheduledProcedureStepLocation;
    ds[Tag.ScheduledStationGeographicLocationCodeSequence] = {
      vr: 'SQ',
      Value: [code(location, stationCodingScheme, location)],
    };
  }
  if (step.studyInstanceUid) ds[Tag.StudyInstanceUID] = { vr: 'UI', Value: [step.studyInstanceUid] };
  return ds;
}
