// Sequence matching (PS3.4 §C.2.2.2.6) on Request Attributes Sequence (0040,0275), a series-level key of
// QIDO-RS (PS3.18 Table 10.6.1-5). The series row keeps each item as {tag: first value} of these keys.
import { Tag } from '@pacs/dicom';

/** The item keys of RequestAttributesSequence the index keeps and matches (all short texts: SH, LO). */
export const requestAttributeItemTags: readonly string[] = [
  Tag.ScheduledProcedureStepID,
  Tag.RequestedProcedureID,
  Tag.AccessionNumber,
  Tag.RequestedProcedureDescription,
  Tag.ScheduledProcedureStepDescription,
];
