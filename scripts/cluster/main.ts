// `npm run cluster`: the real servers (scripts/infra/up.sh), then every service as its own process, the
// gateway on http://127.0.0.1:8080/dicomweb (PACS_HTTP_PORT to change). Ctrl-C stops the services; the
// servers keep running (scripts/infra/down.sh stops them).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from './cluster.ts';

async function main(): Promise<void> {
  const root = process.cwd(); // npm runs scripts from the repository root
  execFileSync('bash', [join(root, 'scripts', 'infra', 'up.sh')], { stdio: 'inherit' });
  const infraEnv = Object.fromEntries(
    readFileSync(join(root, '.infra', 'env'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  // Settings given to this command win over the servers' defaults (e.g. another database or topic prefix).
  const given = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => k.startsWith('PACS_') && v !== undefined),
  );
  const env = { ...infraEnv, ...given } as Record<string, string>;
  const gatewayPort = Number(process.env.PACS_HTTP_PORT ?? 8080);
  const cluster = await startCluster({
    root,
    env,
    services: ['stow', 'qido', 'wado', 'render', 'hl7', 'gateway'],
    mllpPort: Number(process.env.PACS_HL7_MLLP_PORT ?? 2575),
    ports: { gateway: gatewayPort },
    stdio: 'inherit',
  });
  console.log(`cluster ready: ${cluster.gatewayUrl}/dicomweb (services: ${JSON.stringify(cluster.urls)})`);
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
