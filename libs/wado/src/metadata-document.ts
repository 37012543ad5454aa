// The precomputed metadata of one series: the DICOM JSON (PS3.18 Annex F) of all its instances as one JSON
// array, read in one piece to answer series and study metadata (PS3.18 §10.4.1.1.2) without touching the
// instances one by one.
//
// Stored form (one blob per series, see derived-keys.ts): a header line, then the array:
//   {"format":1,"fingerprint":"…","instances":500}\n[{…},{…},…]
// BulkDataURIs in the array are relative to the DICOMweb root ("studies/…/bulkdata/7FE00010"), so the same
// document serves every base URL; renderMetadata makes them absolute for the request at hand. JSON text never
// holds a raw newline, so the first one ends the header.
import { createHash } from 'node:crypto';

/** Bumped when the document's content changes meaning: older documents then no longer match any fingerprint. */
const documentFormat = 1;

export interface MetadataDocument {
  /** Identifies the set of instances (and their originals) the document was built from. */
  fingerprint: string;
  instances: number;
  /** The JSON array text, BulkDataURIs relative to the DICOMweb root. */
  body: string;
}

/** What a fingerprint is computed from: each instance's original, in the order of the series' metadata. */
export interface FingerprintInput {
  sopUid: string;
  sha256: string;
  blobKey: string;
}

/**
 * The fingerprint of a series (or study) state: the originals of its instances, in order. Any instance added,
 * removed or replaced changes it, so a document is served only when its fingerprint equals the one computed
 * from the index at request time — never stale, whatever the order in which ingest and requests ran.
 */
export function fingerprintOf(instances: readonly FingerprintInput[]): string {
  const hash = createHash('sha256').update(`format ${documentFormat}\n`);
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

/** The document of a series from its instances' DICOM JSON, in order. */
export function buildMetadataDocument(
  instances: readonly (FingerprintInput & { studyUid: string; seriesUid: string; datasetJson: string })[],
): MetadataDocument {
  const parts = instances.map((i) => rootRelativeJson(i.datasetJson, instancePath(i.studyUid, i.seriesUid, i.sopUid)));
  return { fingerprint: fingerprintOf(instances), instances: instances.length, body: `[${parts.join(',')}]` };
}

export const serializeMetadataDocument = (doc: MetadataDocument): string =>
  `${JSON.stringify({ format: documentFormat, fingerprint: doc.fingerprint, instances: doc.instances })}\n${doc.body}`;

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
  const { format, fingerprint, instances } = header as Record<string, unknown>;
  if (format !== documentFormat || typeof fingerprint !== 'string' || typeof instances !== 'number') return undefined;
  const body = text.slice(newline + 1);
  if (!body.startsWith('[') || !body.endsWith(']')) return undefined;
  return { fingerprint, instances, body };
}

/** The array's content without its brackets, to join the series of a study into one array. */
export const arrayContent = (body: string): string => body.slice(1, -1);

/** Makes root-relative BulkDataURIs absolute under `baseUrl` (the DICOMweb root as the client sees it). */
export const renderMetadata = (body: string, baseUrl: string): string =>
  body.replaceAll(anyBulk, `${anyBulk}${baseUrl.replace(/\/+$/, '')}/`);
