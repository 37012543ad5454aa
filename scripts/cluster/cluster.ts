// Cluster mode on one machine: every service as its own process (node dist/services/<name>/src/main.js)
// against the real PostgreSQL, Kafka and S3 of scripts/infra, the gateway in front. Used by `npm run cluster`
// and by the cluster integration suites.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export type ServiceName = 'gateway' | 'stow' | 'qido' | 'wado' | 'render' | 'hl7';

export interface ClusterOptions {
  /** The repository root (dist/ must be built). */
  root: string;
  /** The servers' variables (.infra/env) plus any overrides. */
  env: Record<string, string>;
  services?: ServiceName[];
  /** Fixed ports; free ones are chosen otherwise. */
  ports?: Partial<Record<ServiceName, number>>;
  /** The hl7 service's MLLP port; default: a free one (PACS_HL7_MLLP_PORT in env wins). */
  mllpPort?: number;
  /** Where each service's output goes: 'inherit' or 'ignore' (default). */
  stdio?: 'inherit' | 'ignore';
}

export interface Cluster {
  gatewayUrl: string;
  urls: Record<ServiceName, string>;
  /** Sends a signal to a service (e.g. SIGKILL) and waits until it exited. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again on its port and waits until it is ready. */
  start(service: ServiceName): Promise<void>;
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

async function waitReady(url: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`);
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const services = options.services ?? ['stow', 'qido', 'wado', 'render', 'gateway'];
  const ports = {} as Record<ServiceName, number>;
  for (const s of services) ports[s] = options.ports?.[s] ?? (await freePort());
  const urls = Object.fromEntries(services.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<
    ServiceName,
    string
  >;
  const children = new Map<ServiceName, ChildProcess>();
  const mllpPort = services.includes('hl7')
    ? (options.mllpPort ?? (options.env.PACS_HL7_MLLP_PORT ? undefined : await freePort()))
    : undefined;

  const env = (service: ServiceName): NodeJS.ProcessEnv => ({
    ...process.env,
    PACS_STORAGE: 's3',
    PACS_INDEX: 'postgres',
    PACS_BUS: 'kafka',
    ...options.env,
    PACS_HTTP_HOST: '127.0.0.1',
    PACS_HTTP_PORT: String(ports[service]),
    PACS_STOW_URL: urls.stow ?? '',
    PACS_QIDO_URL: urls.qido ?? '',
    PACS_WADO_URL: urls.wado ?? '',
    PACS_RENDER_URL: urls.render ?? '',
    PACS_WORKLIST_URL: urls.hl7 ?? '',
    // hl7 calls the DICOMweb API (orders → UPS-RS, priors prefetch) through the gateway.
    PACS_DICOMWEB_INTERNAL_URL: urls.gateway ? `${urls.gateway}/dicomweb` : '',
    ...(service === 'hl7' && mllpPort !== undefined ? { PACS_HL7_MLLP_PORT: String(mllpPort) } : {}),
  });

  const start = async (service: ServiceName) => {
    const child = spawn(process.execPath, [join(options.root, 'dist', 'services', service, 'src', 'main.js')], {
      env: env(service),
      stdio: options.stdio ?? 'ignore',
    });
    children.set(service, child);
    await waitReady(urls[service], child);
  };

  // The index owner first: it applies the migrations the others read with.
  const order: ServiceName[] = [
    ...services.filter((s) => s === 'qido'),
    ...services.filter((s) => s !== 'qido' && s !== 'gateway'),
  ];
  try {
    for (const s of order) await start(s);
    if (services.includes('gateway')) await start('gateway');
  } catch (error) {
    for (const child of children.values()) child.kill('SIGKILL');
    throw error;
  }

  const kill = async (service: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = children.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  };
  return {
    gatewayUrl: urls.gateway ?? '',
    urls,
    kill,
    start,
    stop: async () => {
      await Promise.all(services.map((s) => kill(s, 'SIGTERM')));
    },
  };
}
