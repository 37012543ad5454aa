// Runs e2e/cors-proxy.ts in front of a DICOMweb server that sends no CORS headers (Orthanc), until SIGTERM.
//   npx node scripts/e2e/cors-proxy.ts --upstream http://127.0.0.1:8042 [--port 0] [--orthanc]
//     [--ready-file FILE] [--log FILE]
// --orthanc: work around what Orthanc's DICOMweb plugin 1.7 lacks (see e2e/cors-proxy.ts): thumbnails are
// answered with its rendered resources, and comma-separated includefield lists are split.
// With E2E_PROXY_BEARER_TOKEN set, every request must carry `Authorization: Bearer <token>` (stripped before
// forwarding). The origin it listens on is printed, and written to --ready-file once it accepts connections.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startCorsProxy } from '../../e2e/cors-proxy.ts';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    orthanc: { type: 'boolean', default: false },
    'ready-file': { type: 'string' },
    log: { type: 'string' },
  },
});
if (values.upstream === undefined) {
  process.stderr.write('usage: cors-proxy.ts --upstream URL [--port N] [--orthanc] [--ready-file F] [--log F]\n');
  process.exit(2);
}
const upstream = values.upstream;
const token = process.env.E2E_PROXY_BEARER_TOKEN || undefined;
const logFile = values.log;

async function main(): Promise<void> {
  const proxy = await startCorsProxy({
    upstream,
    port: Number(values.port),
    bearerToken: token,
    thumbnailAsRendered: values.orthanc,
    splitIncludeField: values.orthanc,
    onExchange: logFile
      ? (e) =>
          appendFileSync(
            logFile,
            `${new Date().toISOString()} ${e.status} ${e.method} ${e.path}${e.upstreamPath === e.path ? '' : ` -> ${e.upstreamPath}`} accept=${JSON.stringify(e.accept ?? '')}${e.requestedHeaders === undefined ? '' : ` preflight-headers=${JSON.stringify(e.requestedHeaders)}`} ${e.millis.toFixed(1)}ms\n`,
          )
      : undefined,
  });
  process.stdout.write(`cors-proxy: ${proxy.origin} -> ${upstream}${token ? ' (bearer token required)' : ''}\n`);
  if (values['ready-file']) {
    // Written whole and renamed: a reader never sees half of it.
    writeFileSync(`${values['ready-file']}.tmp`, `${proxy.origin}\n`);
    renameSync(`${values['ready-file']}.tmp`, values['ready-file']);
  }
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`cors-proxy: ${(error as Error).message}\n`);
  process.exit(1);
});
