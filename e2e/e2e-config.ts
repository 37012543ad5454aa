// The settings of the end-to-end run, from E2E_* environment variables (set by scripts/e2e/run.sh).
import { join, resolve } from 'node:path';

export const BearerMode = {
  /** The open scenarios run without a token; one more scenario runs with it. */
  extra: 'extra',
  /** The server wants the token on every request: every scenario, and the upload, send it. */
  always: 'always',
} as const;
export type BearerMode = (typeof BearerMode)[keyof typeof BearerMode];

export interface E2eConfig {
  /** The DICOMweb root under test (QIDO-RS, WADO-RS, STOW-RS), e.g. 'http://127.0.0.1:8080/dicomweb'. */
  readonly dicomwebUrl: string;
  readonly bearerToken: string | undefined;
  /** Where the bearer scenario sends its requests (default: dicomwebUrl). */
  readonly bearerDicomwebUrl: string;
  readonly bearerMode: BearerMode;
  /** The server answers 401 without the token: the bearer scenario checks that too. */
  readonly bearerEnforced: boolean;
  /** The viewer's dist/ folder (scripts/e2e/fetch-ohif.sh). */
  readonly ohifDist: string;
  readonly chromium: string;
  /** Screenshots, request logs and the summary (git-ignored). */
  readonly resultsDir: string;
  /** Generated series, reused across runs (git-ignored). */
  readonly fixturesDir: string;
  readonly seriesCount: number;
  /** Serve the viewer with COOP/COEP (cross-origin isolated), as OHIF's deployment guide recommends. */
  readonly crossOriginIsolated: boolean;
  readonly python: string;
}

export function loadE2eConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): E2eConfig {
  const problems: string[] = [];
  const url = (name: string, value: string | undefined): string => {
    if (value === undefined || value === '') {
      problems.push(`${name} is required (the DICOMweb root, e.g. http://127.0.0.1:8080/dicomweb)`);
      return '';
    }
    try {
      const parsed = new URL(value);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        problems.push(`${name} must be http(s): ${value}`);
    } catch {
      problems.push(`${name} is not a URL: ${value}`);
    }
    return value.replace(/\/+$/, '');
  };
  const dicomwebUrl = url('E2E_DICOMWEB_URL', env.E2E_DICOMWEB_URL);
  const bearerToken = env.E2E_BEARER_TOKEN || undefined;
  const bearerDicomwebUrl = env.E2E_BEARER_DICOMWEB_URL
    ? url('E2E_BEARER_DICOMWEB_URL', env.E2E_BEARER_DICOMWEB_URL)
    : dicomwebUrl;
  const bearerMode = (env.E2E_BEARER_MODE || BearerMode.extra) as BearerMode;
  if (!Object.values(BearerMode).includes(bearerMode)) {
    problems.push(`E2E_BEARER_MODE must be one of ${Object.values(BearerMode).join(', ')}: ${bearerMode}`);
  }
  if (bearerMode === BearerMode.always && bearerToken === undefined) {
    problems.push('E2E_BEARER_MODE=always needs E2E_BEARER_TOKEN');
  }
  // The version is pinned once, in scripts/e2e/fetch-ohif.sh, which prints the folder.
  if (!env.E2E_OHIF_DIST) problems.push('E2E_OHIF_DIST is required: the folder scripts/e2e/fetch-ohif.sh prints');
  const seriesCount = Number(env.E2E_SERIES_COUNT || 50);
  if (!Number.isInteger(seriesCount) || seriesCount < 2) problems.push('E2E_SERIES_COUNT must be an integer ≥ 2');
  if (problems.length > 0) throw new Error(`Invalid end-to-end settings:\n  ${problems.join('\n  ')}`);

  return {
    dicomwebUrl,
    bearerToken,
    bearerDicomwebUrl,
    bearerMode,
    bearerEnforced: env.E2E_BEARER_ENFORCED === '1',
    ohifDist: resolve(cwd, env.E2E_OHIF_DIST ?? ''),
    chromium: env.E2E_CHROMIUM || '/usr/bin/chromium',
    resultsDir: resolve(cwd, env.E2E_RESULTS_DIR || join('test-results', 'e2e')),
    fixturesDir: resolve(cwd, env.E2E_FIXTURES_DIR || join('.cache', 'e2e')),
    seriesCount,
    crossOriginIsolated: env.E2E_CROSS_ORIGIN_ISOLATED !== '0',
    python: env.E2E_PYTHON || 'python3',
  };
}
