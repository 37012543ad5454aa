// The servers a benchmark measures, started fresh for the run: our embedded process, our cluster (over the
// real servers of scripts/infra), and Orthanc with its DICOMweb plugin (bench/orthanc/orthanc.sh).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/cluster/cluster';
import { startClusterTarget } from '../../conformance/support/cluster-target';

/** The repository root: benchmarks run from .cache/bench-build/bench/… or from bench/. */
export const root = process.cwd();

export interface Target {
  name: string;
  /** The DICOMweb root. */
  baseUrl: string;
  /** The process whose memory to watch, when there is one. */
  pid?: number;
  stop(): Promise<void>;
}

async function waitReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function loadInfraEnv(names: string[] = []): Record<string, string> {
  execFileSync('bash', [join(root, 'scripts', 'infra', 'up.sh'), ...names], { stdio: ['ignore', 'ignore', 'inherit'] });
  const env = Object.fromEntries(
    readFileSync(join(root, '.infra', 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  Object.assign(process.env, env);
  return env;
}

/** The all-in-one process (node dist/services/pacs/src/main.js) with a fresh data folder. */
export async function startEmbedded(env: Record<string, string> = {}): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pacs-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist', 'services', 'pacs', 'src', 'main.js')], {
    env: { ...process.env, PACS_DATA_DIR: dataDir, PACS_HTTP_PORT: String(port), PACS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitReady(`http://127.0.0.1:${port}/readyz`);
  return {
    name: 'pacs (embedded)',
    baseUrl: `http://127.0.0.1:${port}/dicomweb`,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** gateway → stow / qido / wado processes over PostgreSQL, Kafka and S3. */
export async function startCluster(): Promise<Target> {
  loadInfraEnv(['postgres', 's3', 'kafka']);
  const target = await startClusterTarget();
  return { name: 'pacs (cluster)', baseUrl: `${target.cluster.gatewayUrl}/dicomweb`, stop: () => target.close() };
}

/** Orthanc + DICOMweb plugin from Debian, on loopback (installed on first use). */
export async function startOrthanc(): Promise<Target> {
  execFileSync('bash', [join(root, 'bench', 'orthanc', 'orthanc.sh'), 'up'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const env = Object.fromEntries(
    execFileSync('bash', [join(root, 'bench', 'orthanc', 'orthanc.sh'), 'env'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { name: 'orthanc', baseUrl: env.ORTHANC_DICOMWEB_URL!, stop: async () => {} };
}

/** Resident memory of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

export { rmSync };
