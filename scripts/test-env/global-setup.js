// jest globalSetup of jest.integration.config.js: makes sure the real servers run (scripts/test-env/up.sh
// when .infra/env is missing or a server's status check fails), then loads .infra/env into process.env,
// which the test workers inherit: PACS_DATABASE_URL, PACS_S3_*, PACS_KAFKA_*.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const infraScripts = path.join(root, 'scripts/infra');

/** @returns {Promise<boolean>} */
function isUp(name, env) {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(infraScripts, `${name}.sh`), 'status'], { stdio: 'ignore', env });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** KEY=value lines; blank lines and # comments skipped; one pair of surrounding quotes removed. */
function parseEnvFile(text) {
  const entries = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`.infra/env: not a KEY=value line: ${trimmed}`);
    let value = trimmed.slice(eq + 1);
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    entries.push([trimmed.slice(0, eq).replace(/^export\s+/, ''), value]);
  }
  return entries;
}

module.exports = async function globalSetup() {
  const infraDir = path.resolve(process.env.PACS_INFRA_DIR || path.join(root, '.infra'));
  const env = { ...process.env, PACS_INFRA_DIR: infraDir };
  const envFile = path.join(infraDir, 'env');
  const servers = ['postgres', 's3', 'kafka'].filter((name) => fs.existsSync(path.join(infraScripts, `${name}.sh`)));

  let reason;
  if (!fs.existsSync(envFile)) {
    reason = `${envFile} is missing`;
  } else {
    const up = await Promise.all(servers.map((name) => isUp(name, env)));
    const down = servers.filter((_, i) => !up[i]);
    if (down.length > 0) reason = `not running: ${down.join(', ')}`;
  }
  if (reason !== undefined) {
    process.stderr.write(`\nscripts/test-env/global-setup.js: ${reason}; running scripts/test-env/up.sh\n`);
    const result = spawnSync('bash', [path.join(root, 'scripts/test-env/up.sh')], { stdio: 'inherit', env });
    if (result.status !== 0) {
      throw new Error(`scripts/test-env/up.sh failed (exit ${result.status ?? result.signal}): see its output above`);
    }
  }
  for (const [key, value] of parseEnvFile(fs.readFileSync(envFile, 'utf8'))) process.env[key] = value;
  process.env.PACS_INFRA_DIR = infraDir;
};
