// A STOW-RS client (PS3.18 §10.5) for test fixtures: one multipart/related POST of Part 10 files, streamed
// from disk as the request is sent (files are opened one at a time, never read whole into memory).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { numberValue, stringValue, Tag, type DicomJsonDataset } from '@pacs/dicom';
import { MediaTypes, multipartRelated, type OutgoingPart } from '@pacs/dicomweb';

export interface StoreInstancesOptions {
  /** The DICOMweb root, e.g. 'http://127.0.0.1:8080/dicomweb'. */
  readonly baseUrl: string;
  /** Part 10 files, one part each. */
  readonly files: readonly string[];
  /** POST to /studies/{uid} (every instance must belong to that study) instead of /studies. */
  readonly studyInstanceUid?: string;
  readonly bearerToken?: string;
  readonly signal?: AbortSignal;
}

export interface StowFailure {
  readonly sopInstanceUid: string | undefined;
  readonly failureReason: number | undefined;
}

export interface StowSummary {
  /** PS3.18 Table 10.5.3-1: 200 all stored, 202 some stored with warnings or failures, 409 none stored. */
  readonly status: number;
  readonly storedSopInstanceUids: readonly string[];
  readonly failures: readonly StowFailure[];
  /** The Warning header (RFC 7234 §5.5, PS3.18 §8.6.1): why an answer was 202, e.g. not searchable yet. */
  readonly warning: string | undefined;
  readonly millis: number;
}

export class StowError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/**
 * Stores `files` with one STOW-RS request and returns what the server says it stored.
 * @throws StowError when the server answers with a status outside 200/202/409 or a body that is not
 *   the Store Instances Response Module (PS3.18 Annex I).
 */
export async function storeInstances(options: StoreInstancesOptions): Promise<StowSummary> {
  const started = performance.now();
  const url = `${options.baseUrl.replace(/\/+$/, '')}/studies${options.studyInstanceUid ? `/${options.studyInstanceUid}` : ''}`;
  const { contentType, stream } = multipartRelated(parts(options.files), { type: MediaTypes.dicom });
  const headers: Record<string, string> = { 'Content-Type': contentType, Accept: MediaTypes.dicomJson };
  if (options.bearerToken !== undefined) headers.Authorization = `Bearer ${options.bearerToken}`;

  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
    // Fetch standard: a streamed request body must be half-duplex.
    duplex: 'half',
    signal: options.signal,
  } as RequestInit & { duplex: 'half' });
  const text = await response.text();
  if (![200, 202, 409].includes(response.status)) {
    throw new StowError(`STOW-RS ${url} answered ${response.status}: ${text.slice(0, 500)}`, response.status, text);
  }
  let dataset: DicomJsonDataset;
  try {
    dataset = JSON.parse(text) as DicomJsonDataset;
  } catch {
    throw new StowError(
      `STOW-RS ${url} answered ${response.status} with a body that is not JSON`,
      response.status,
      text,
    );
  }
  return {
    status: response.status,
    storedSopInstanceUids: items(dataset, Tag.ReferencedSOPSequence)
      .map((item) => stringValue(item, Tag.ReferencedSOPInstanceUID))
      .filter((uid): uid is string => uid !== undefined),
    failures: items(dataset, Tag.FailedSOPSequence).map((item) => ({
      sopInstanceUid: stringValue(item, Tag.ReferencedSOPInstanceUID),
      failureReason: numberValue(item, Tag.FailureReason),
    })),
    warning: response.headers.get('warning') ?? undefined,
    millis: performance.now() - started,
  };
}

function* parts(files: readonly string[]): Generator<OutgoingPart> {
  // A generator: each file is opened only when the request body reaches it.
  for (const file of files) yield { headers: { 'Content-Type': MediaTypes.dicom }, body: createReadStream(file) };
}

function items(dataset: DicomJsonDataset, tag: string): DicomJsonDataset[] {
  return (dataset[tag]?.Value ?? []) as DicomJsonDataset[];
}
