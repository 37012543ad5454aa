// The precomputed metadata of one series: the DICOM JSON (PS3.18 Annex F) of all its instances as one JSON
// array, read in one piece to answer series and study metadata (PS3.18 §10.4.1.1.2) without touching the
// instances one by one.
//
// Stored form (one blob per series, see derived-keys.ts): a header line, then the array:
//   {"format":2,"fingerprint":"…","instances":500,"coerced":[…]}\n[{…},{…},…]
// The Patient module of each instance is the patient's current record (patient-coercion.ts), so a document
// is made for one version of that record, which its fingerprint includes; "coerced" lists the instances
// whose stored values it replaced (and the tags), for the audit trail of every response made from it.
// BulkDataURIs in the array are relative to the DICOMweb root ("studies/…/bulkdata/7FE00010"), so the same
// document serves every base URL; renderMetadata makes them absolute for the request at hand. JSON text never
// holds a raw newline, so the first one ends the header.
import type { DicomJsonDataset } from '@pacs/dicom';
import { createHash } from 'node:crypto';
import { coercePatientModule, patientCoercionOf, type AppliedRecord, type CoercedInstance } from './patient-coercion';

/**
 * Bumped when the document's content changes meaning: older documents then no longer match any fingerprint.
 * 2: the Patient module is the current record's.
 */
const documentFormat = 2;

/** The patient record a document applies, and its version (patientVersionOf). */
export interface AppliedPatient {
  version: string;
  record: AppliedRecord;
}

export interface MetadataDocument {
  /** Identifies the set of instances (and their originals) the document was built from. */
  fingerprint: string;
  instances: number;
  /** The JSON array text, BulkDataURIs relative to the DICOMweb root. */
  body: string;
  /** The instances whose Patient module in `body` is not the stored one. */
  coerced: CoercedInstance[];
}

/** What a fingerprint is computed from: each instance's original, in the order of the series' metadata. */
export interface FingerprintInput {
  sopUid: string;
  sha256: string;
  blobKey: string;
}

/**
 * The fingerprint of a series (or study) state: the originals of its instances, in order, and the version of
 * the patient record applied to them. Any instance added, removed or replaced, and any change of the patient's
 * record (an update, a merge), changes it, so a document is served only when its fingerprint equals the one
 * computed from the index at request time — never stale, whatever the order in which ingest and requests ran.
 */
export function fingerprintOf(instances: readonly FingerprintInput[], patientVersion = ''): string {
  const hash = createHash('sha256').update(`format ${documentFormat}\npatient ${patientVersion}\n`);
  for (const i of instances) hash.update(`${i.sopUid}\u0000${i.sha256}\u0000${i.blobKey}\n`);
  return hash.digest('base64url').slice(0, 32);
}

/** The fingerprint of a study: its series' fingerprints, in order. */
export const studyFingerprintOf = (seriesFingerprints: readonly string[]): string =>
  createHash('sha256').update(seriesFingerprints.join('\n')).digest('base64url').slice(0, 32);

/** The instance path below the DICOMweb root, as dicomwebUrls writes it. */
export const instancePath = (studyUid: string, seriesUid: string, sopUid: string): string =>
  `studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/instances/${encodeURIComponent(sopUid)}`;

const relativeBulk = '"BulkDataURI":"bulkdata/';
const anyBulk = '"BulkDataURI":"';

/**
 * An instance's DICOM JSON with its BulkDataURIs ("bulkdata/<path>", relative to the instance, as the index
 * keeps them) made relative to the DICOMweb root. The pattern cannot occur inside a JSON string value: there
 * every quote is escaped.
 */
export const rootRelativeJson = (datasetJson: string, path: string): string =>
  datasetJson.replaceAll(relativeBulk, `${anyBulk}${path}/bulkdata/`);

type DocumentInput = FingerprintInput & { studyUid: string; seriesUid: string; datasetJson: string };

/**
 * An instance's DICOM JSON as metadata shows it: the stored data set, with the Patient module of `patient`
 * where its values differ (then also which attributes). The text is the stored one when nothing differs.
 */
export function instanceMetadataJson(
  instance: Pick<DocumentInput, 'datasetJson'> & { dataset?: DicomJsonDataset },
  patient: AppliedPatient | undefined,
): { json: string; tags?: readonly string[] } {
  if (!patient) return { json: instance.datasetJson };
  const dataset = instance.dataset ?? (JSON.parse(instance.datasetJson) as DicomJsonDataset);
  const coercion = patientCoercionOf(dataset, patient.record);
  if (!coercion) return { json: instance.datasetJson };
  return { json: JSON.stringify(coercePatientModule(dataset, coercion)), tags: coercion.tags };
}

/** The document of a series from its instances' DICOM JSON, in order, showing `patient`'s current record. */
export function buildMetadataDocument(instances: readonly DocumentInput[], patient?: AppliedPatient): MetadataDocument {
  const coerced: CoercedInstance[] = [];
  const parts = instances.map((i) => {
    const { json, tags } = instanceMetadataJson(i, patient);
    if (tags) coerced.push({ seriesUid: i.seriesUid, sopUid: i.sopUid, tags });
    return rootRelativeJson(json, instancePath(i.studyUid, i.seriesUid, i.sopUid));
  });
  return {
    fingerprint: fingerprintOf(instances, patient?.version),
    instances: instances.length,
    body: `[${parts.join(',')}]`,
    coerced,
  };
}

export const serializeMetadataDocument = (doc: MetadataDocument): string =>
  `${JSON.stringify({ format: documentFormat, fingerprint: doc.fingerprint, instances: doc.instances, coerced: doc.coerced })}\n${doc.body}`;

/** The document in a stored blob, or undefined when the text is not one (another format, truncated). */
export function parseMetadataDocument(text: string): MetadataDocument | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const { format, fingerprint, instances, coerced } = header as Record<string, unknown>;
  if (format !== documentFormat || typeof fingerprint !== 'string' || typeof instances !== 'number') return undefined;
  if (!Array.isArray(coerced)) return undefined;
  const body = text.slice(newline + 1);
  if (!body.startsWith('[') || !body.endsWith(']')) return undefined;
  return { fingerprint, instances, body, coerced: coerced as CoercedInstance[] };
}

/** The array's content without its brackets, to join the series of a study into one array. */
export const arrayContent = (body: string): string => body.slice(1, -1);

/** Makes root-relative BulkDataURIs absolute under `baseUrl` (the DICOMweb root as the client sees it). */
export const renderMetadata = (body: string, baseUrl: string): string =>
  body.replaceAll(anyBulk, `${anyBulk}${baseUrl.replace(/\/+$/, '')}/`);
