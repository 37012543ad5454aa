// The servers of the benchmark, each a process of its own on 127.0.0.1: ours (the all-in-one PACS, embedded
// adapters, built into the benchmark's folder) and Orthanc with its DICOMweb plugin (bench/orthanc/orthanc.sh,
// with its state under the benchmark's folder, never the shared .infra of the tests).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Server {
  name: string;
  /** The DICOMweb root. */
  base: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(url: string, child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Our all-in-one process (`services/pacs`), from the build in `buildDir`, data in `dataDir`. */
export async function startOurs(buildDir: string, dataDir: string, logFile: string): Promise<Server> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const log = openSync(logFile, 'a');
    child = spawn(process.execPath, [join(buildDir, 'services/pacs/src/main.js')], {
      env: {
        ...process.env,
        PACS_DATA_DIR: dataDir,
        PACS_HTTP_HOST: '127.0.0.1',
        PACS_HTTP_PORT: String(port),
        PACS_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', log, log],
    });
    await waitFor(`http://127.0.0.1:${port}/readyz`, child, 120_000);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  await start();
  return {
    name: 'ours',
    base: `http://127.0.0.1:${port}/dicomweb`,
    restart: async () => {
      await stop();
      await start();
    },
    stop,
  };
}

/** Orthanc 1.x with its DICOMweb plugin, through bench/orthanc/orthanc.sh, state in `infraDir`/orthanc. */
export async function startOrthanc(repoRoot: string, infraDir: string): Promise<Server & { rest: string }> {
  const script = join(repoRoot, 'bench/orthanc/orthanc.sh');
  const env = { ...process.env, PACS_INFRA_DIR: infraDir };
  const run = (command: string) =>
    execFileSync('bash', [script, command], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  run('install');
  run('up');
  const vars = Object.fromEntries(
    run('env')
      .toString()
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const rest = vars.ORTHANC_URL!;
  return {
    name: 'orthanc',
    base: vars.ORTHANC_DICOMWEB_URL!,
    rest,
    restart: async () => {
      run('down');
      run('up'); // the same port and storage: a fresh process
      await waitFor(`${rest}/system`, undefined, 60_000);
    },
    stop: async () => {
      run('down');
    },
  };
}
