/** One attribute of the DICOM JSON model (PS3.18 Annex F.2). */
export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

/** A data set in the DICOM JSON model: attributes by 8-hex tag (PS3.18 F.2.1.1). */
export type DicomJsonDataset = Record<string, DicomJsonElement>;
