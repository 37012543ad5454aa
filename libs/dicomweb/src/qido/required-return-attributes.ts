import { Tag } from '@pacs/dicom';
import type { QidoLevel } from './parse-qido-query';

// PS3.18 §10.6.3.3: for every match, the response carries the attributes of its level's table (those of
// Type C "shall be present if known"), plus the matching keys and includefield attributes. When the
// target is All Series or All Instances, the study level attributes are included too (§10.6.3.3.2), and
// for All Instances the series level ones (§10.6.3.3.3).

/** PS3.18 Table 10.6.3-3 "Study Resource Search Response Payload". */
const study = [
  Tag.StudyDate,
  Tag.StudyTime,
  Tag.AccessionNumber,
  Tag.InstanceAvailability,
  Tag.ModalitiesInStudy,
  Tag.ReferringPhysicianName,
  Tag.TimezoneOffsetFromUTC,
  Tag.RetrieveURL,
  Tag.PatientName,
  Tag.PatientID,
  Tag.PatientBirthDate,
  Tag.PatientSex,
  Tag.StudyInstanceUID,
  Tag.StudyID,
  Tag.NumberOfStudyRelatedSeries,
  Tag.NumberOfStudyRelatedInstances,
] as const;

/**
 * PS3.18 Table 10.6.3-4 "Series Resources Search Response Payload". Request Attributes Sequence carries
 * >Scheduled Procedure Step ID and >Requested Procedure ID.
 */
const series = [
  Tag.Modality,
  Tag.TimezoneOffsetFromUTC,
  Tag.SeriesDescription,
  Tag.RetrieveURL,
  Tag.SeriesInstanceUID,
  Tag.SeriesNumber,
  Tag.NumberOfSeriesRelatedInstances,
  Tag.PerformedProcedureStepStartDate,
  Tag.PerformedProcedureStepStartTime,
  Tag.RequestAttributesSequence,
] as const;

/** PS3.18 Table 10.6.3-5 "Instance Resources Search Response Payload". */
const instance = [
  Tag.SOPClassUID,
  Tag.SOPInstanceUID,
  Tag.InstanceAvailability,
  Tag.TimezoneOffsetFromUTC,
  Tag.RetrieveURL,
  Tag.InstanceNumber,
  Tag.Rows,
  Tag.Columns,
  Tag.BitsAllocated,
  Tag.NumberOfFrames,
] as const;

const byLevel: Readonly<Record<QidoLevel, readonly string[]>> = { study, series, instance };

/**
 * The tags every QIDO-RS match at `level` carries (PS3.18 Tables 10.6.3-3/-4/-5), in table order. The
 * attributes of higher levels for All Series / All Instances searches are those of
 * `requiredReturnAttributes('study')` (and 'series').
 */
export const requiredReturnAttributes = (level: QidoLevel): readonly string[] => byLevel[level];
