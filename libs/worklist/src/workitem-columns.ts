import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { normalizeForMatching } from '@pacs/index';
import { dtToSqlTimestamp } from './dicom-date-time';

/** The matching keys of a workitem the store keeps as typed, indexed columns. */
export interface WorkitemColumns {
  priority: string | null;
  scheduledStart: string | null;
  expectedCompletion: string | null;
  inputReadinessState: string | null;
  procedureStepLabel: string | null;
  worklistLabel: string | null;
  /** Scheduled Station Class Code Sequence > Code Value: the modality (CID 29 codes, e.g. CT). */
  modality: string | null;
  /** Scheduled Station Name Code Sequence > Code Value. */
  stationName: string | null;
  /** Scheduled Station Geographic Location Code Sequence > Code Value. */
  stationLocation: string | null;
  /** Scheduled Human Performers Sequence > Human Performer Code Sequence > Code Value. */
  performer: string | null;
  patientId: string | null;
  issuer: string | null;
  patientNameNorm: string | null;
  /** Referenced Request Sequence > Accession Number. */
  accessionNumber: string | null;
  /** Referenced Request Sequence > Requested Procedure ID. */
  requestedProcedureId: string | null;
  /** Study Instance UID, top level or of the Referenced Request Sequence. */
  studyUid: string | null;
}

/** The items of a sequence attribute (empty when absent or not a sequence). */
export function itemsOf(ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset[] {
  const value = ds?.[tag]?.Value;
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is DicomJsonDataset => typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** The first value as text: strings and numbers as they are, PN as its Alphabetic group; null when empty. */
export function textOf(ds: DicomJsonDataset | undefined, tag: string): string | null {
  const v: unknown = ds?.[tag]?.Value?.[0];
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && v !== null) {
    const alphabetic = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' && alphabetic !== '' ? alphabetic : null;
  }
  return null;
}

const codeValueOf = (ds: DicomJsonDataset, sequence: string): string | null =>
  textOf(itemsOf(ds, sequence)[0], Tag.CodeValue);

/** The indexed column values of a workitem data set. */
export function workitemColumns(ds: DicomJsonDataset): WorkitemColumns {
  const request = itemsOf(ds, Tag.ReferencedRequestSequence)[0];
  const dt = (tag: string): string | null => {
    const value = textOf(ds, tag);
    return value === null ? null : (dtToSqlTimestamp(value) ?? null);
  };
  const name = textOf(ds, Tag.PatientName);
  const performer = itemsOf(ds, Tag.ScheduledHumanPerformersSequence)[0];
  return {
    priority: textOf(ds, Tag.ScheduledProcedureStepPriority),
    scheduledStart: dt(Tag.ScheduledProcedureStepStartDateTime),
    expectedCompletion: dt(Tag.ExpectedCompletionDateTime),
    inputReadinessState: textOf(ds, Tag.InputReadinessState),
    procedureStepLabel: textOf(ds, Tag.ProcedureStepLabel),
    worklistLabel: textOf(ds, Tag.WorklistLabel),
    modality: codeValueOf(ds, Tag.ScheduledStationClassCodeSequence),
    stationName: codeValueOf(ds, Tag.ScheduledStationNameCodeSequence),
    stationLocation: codeValueOf(ds, Tag.ScheduledStationGeographicLocationCodeSequence),
    performer: performer ? codeValueOf(performer, Tag.HumanPerformerCodeSequence) : null,
    patientId: textOf(ds, Tag.PatientID),
    issuer: textOf(ds, Tag.IssuerOfPatientID) ?? '',
    patientNameNorm: name === null ? null : (normalizeForMatching(name) ?? null),
    accessionNumber: textOf(request, Tag.AccessionNumber),
    requestedProcedureId: textOf(request, Tag.RequestedProcedureID),
    studyUid: textOf(ds, Tag.StudyInstanceUID) ?? textOf(request, Tag.StudyInstanceUID),
  };
}
