// The study the viewer is tested on: generated once by e2e/fixtures/generate-ct-series.py (same seed, same
// UIDs and bytes), and stored into the target with STOW-RS unless QIDO-RS already finds all its instances.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { numberValue, Tag, type DicomJsonDataset } from '@pacs/dicom';
import { MediaTypes } from '@pacs/dicomweb';
import { storeInstances } from './store-instances.ts';

export interface SeriesManifest {
  readonly StudyInstanceUID: string;
  readonly SeriesInstanceUID: string;
  readonly PatientName: string;
  readonly PatientID: string;
  readonly StudyDescription: string;
  readonly SeriesDescription: string;
  readonly Modality: string;
  readonly count: number;
  readonly instances: readonly { readonly file: string; readonly SOPInstanceUID: string }[];
}

export interface PrepareStudyOptions {
  readonly dicomwebUrl: string;
  readonly bearerToken?: string;
  /** Where generated series are kept, one folder per seed and count. */
  readonly fixturesDir: string;
  readonly count: number;
  readonly seed?: string;
  readonly python?: string;
  /** The generator script (default: e2e/fixtures/generate-ct-series.py of the working directory). */
  readonly generator?: string;
}

export interface PreparedStudy {
  readonly manifest: SeriesManifest;
  readonly generatedMillis: number | undefined;
  /** Set when this call stored the series (it was not complete on the server yet). */
  readonly stowMillis: number | undefined;
  /** The Warning header of the STOW-RS answer, if any. */
  readonly stowWarning: string | undefined;
  /** From the STOW-RS answer until QIDO-RS found every instance. */
  readonly searchableMillis: number | undefined;
}

/** How long instances may take to become searchable after STOW-RS answered (asynchronous indexing). */
const searchableTimeoutMs = 60_000;

export async function prepareStudy(options: PrepareStudyOptions): Promise<PreparedStudy> {
  const seed = options.seed ?? 'pacs-e2e';
  const dir = join(options.fixturesDir, `ct-series-${seed}-${options.count}`);
  const manifestFile = join(dir, 'manifest.json');
  let generatedMillis: number | undefined;
  if (!existsSync(manifestFile)) {
    const started = performance.now();
    const generator = options.generator ?? join('e2e', 'fixtures', 'generate-ct-series.py');
    await promisify(execFile)(options.python ?? 'python3', [
      generator,
      dir,
      '--count',
      `${options.count}`,
      '--seed',
      seed,
    ]);
    generatedMillis = performance.now() - started;
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as SeriesManifest;

  let stowMillis: number | undefined;
  let stowWarning: string | undefined;
  let searchableMillis: number | undefined;
  if ((await storedInstanceCount(options, manifest.StudyInstanceUID)) < manifest.count) {
    const result = await storeInstances({
      baseUrl: options.dicomwebUrl,
      files: manifest.instances.map((instance) => join(dir, instance.file)),
      studyInstanceUid: manifest.StudyInstanceUID,
      bearerToken: options.bearerToken,
    });
    // 202 with every instance stored and none failed is a success with a warning (PS3.18 Table 10.5.3-1),
    // e.g. "stored but not searchable yet" from a server that indexes asynchronously.
    if (
      (result.status !== 200 && result.status !== 202) ||
      result.failures.length > 0 ||
      result.storedSopInstanceUids.length !== manifest.count
    ) {
      throw new Error(
        `STOW-RS stored ${result.storedSopInstanceUids.length} of ${manifest.count} instances (HTTP ${result.status}, ` +
          `failures: ${JSON.stringify(result.failures.slice(0, 5))}, warning: ${result.warning ?? '-'})`,
      );
    }
    stowMillis = result.millis;
    stowWarning = result.warning;
    const stored = performance.now();
    let found = 0;
    while ((found = await storedInstanceCount(options, manifest.StudyInstanceUID)) < manifest.count) {
      if (performance.now() - stored > searchableTimeoutMs) {
        throw new Error(
          `${searchableTimeoutMs / 1000} s after STOW-RS, QIDO-RS finds ${found} of the study's ${manifest.count} instances`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    searchableMillis = performance.now() - stored;
  }
  return { manifest, generatedMillis, stowMillis, stowWarning, searchableMillis };
}

/** NumberOfStudyRelatedInstances of the study by QIDO-RS (PS3.18 §10.6), 0 when it is not there. */
async function storedInstanceCount(options: PrepareStudyOptions, studyInstanceUid: string): Promise<number> {
  const url = `${options.dicomwebUrl}/studies?StudyInstanceUID=${encodeURIComponent(studyInstanceUid)}&includefield=${Tag.NumberOfStudyRelatedInstances}`;
  const headers: Record<string, string> = { Accept: MediaTypes.dicomJson };
  if (options.bearerToken !== undefined) headers.Authorization = `Bearer ${options.bearerToken}`;
  const response = await fetch(url, { headers });
  // No match: 200 with an empty array, or 204 No Content from some servers.
  if (response.status === 204) return 0;
  if (response.status !== 200) {
    throw new Error(`QIDO-RS ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  const studies = (await response.json()) as DicomJsonDataset[];
  return studies.length === 0 ? 0 : (numberValue(studies[0], Tag.NumberOfStudyRelatedInstances) ?? 0);
}
