// The DICOM JSON Model, PS3.18 Annex F.

/** One attribute (PS3.18 §F.2.2): at most one of Value, BulkDataURI, InlineBinary; none when empty (§F.2.5). */
export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

/** A data set: keys are tags as eight uppercase hex digits (PS3.18 §F.2.1.1), e.g. Tag.StudyInstanceUID. */
export type DicomJsonDataset = Record<string, DicomJsonElement>;

/** A PN value (PS3.18 §F.2.2): only the non-empty component groups are present. */
export interface PersonNameJson {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** The first value of an attribute, or undefined when it is absent, empty, or its first value is null. */
export function firstValue<T = unknown>(dataset: DicomJsonDataset, tag: string): T | undefined {
  const v = dataset[tag]?.Value?.[0];
  return v === null || v === undefined ? undefined : (v as T);
}

/** The first value as a string (text VRs, and numbers written as strings); undefined otherwise. */
export function stringValue(dataset: DicomJsonDataset, tag: string): string | undefined {
  const v = firstValue(dataset, tag);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The first value as a number (IS, DS, and binary numbers; numeric strings are parsed); undefined otherwise. */
export function numberValue(dataset: DicomJsonDataset, tag: string): number | undefined {
  const v = firstValue(dataset, tag);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
