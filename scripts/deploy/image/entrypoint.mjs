// The image's entry point: starts the one service PACS_SERVICE (or the first argument) names.
//   docker run IMAGE qido        docker run -e PACS_SERVICE=qido IMAGE        (default: pacs, all in one)
// "migrate" applies the index migrations and exits (the Helm chart's pre-install/pre-upgrade Job).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const entryPoints = {
  gateway: 'dist/services/gateway/src/main.js',
  stow: 'dist/services/stow/src/main.js',
  qido: 'dist/services/qido/src/main.js',
  wado: 'dist/services/wado/src/main.js',
  render: 'dist/services/render/src/main.js',
  hl7: 'dist/services/hl7/src/main.js',
  pacs: 'dist/services/pacs/src/main.js',
  migrate: 'dist/services/qido/src/migrate.js',
};

const name = process.argv[2] ?? process.env.PACS_SERVICE ?? 'pacs';
const entryPoint = Object.hasOwn(entryPoints, name) ? join(import.meta.dirname, entryPoints[name]) : undefined;
if (!entryPoint || !existsSync(entryPoint)) {
  console.error(`Unknown service "${name}": expected one of ${Object.keys(entryPoints).join(', ')}.`);
  process.exit(64); // EX_USAGE
}

// Node is PID 1 here, and the kernel ignores a signal PID 1 has no handler for. A service that installs its
// own shutdown hooks drains first; one that has not is still stopped by SIGTERM instead of waiting for SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (process.listenerCount(signal) === 1) process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}

await import(pathToFileURL(entryPoint).href);
