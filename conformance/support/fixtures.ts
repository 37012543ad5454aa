import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GeneratedInstance {
  path: string;
  study: string;
  series: string;
  sop: string;
  sha256: string;
}

/** A synthetic CT series written by pydicom (conformance/fixtures/make-ct-series.py). */
export function makeCtSeries(options: Record<string, string | number> = {}): GeneratedInstance[] {
  const dir = mkdtempSync(join(tmpdir(), 'pacs-ct-'));
  const args = Object.entries(options).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const out = execFileSync('python3', [join(__dirname, '..', 'fixtures', 'make-ct-series.py'), dir, ...args], {
    encoding: 'utf8',
  });
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Omit<GeneratedInstance, 'sha256'>)
    .map((i) => ({ ...i, sha256: sha256(readFileSync(i.path)) }));
}

/** The corpus of @pacs/dicom's pydicom cross-check: every VR, charsets, encapsulated layouts, with expected frames. */
export function makeDicomCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pacs-corpus-'));
  execFileSync('python3', [join(__dirname, '..', '..', 'libs', 'dicom', 'test', 'generate-corpus.py'), dir], {
    stdio: 'ignore',
  });
  return dir;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
