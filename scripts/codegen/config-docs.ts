// Generates docs/configuration.md and the `config`/`settingName` definitions of helm/pacs/values.schema.json
// from libs/config/src/settings.ts, so each setting's default and description are written once.
// Run: `npx node scripts/codegen/config-docs.ts` (offline, repo-relative, deterministic; `--check` fails
// instead of writing when an output is out of date).
//
// settings.ts is TypeScript that may import other libs (extensionless or through @pacs/*), which Node's type
// stripping cannot load. So the libs are compiled with the project's own swc config (the same as
// `npm run build`) into node_modules/.cache/ and the CommonJS result is required from there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(process.argv[1]), '..', '..');
const check = process.argv.includes('--check');
const docsPath = join(root, 'docs', 'configuration.md');
const schemaPath = join(root, 'helm', 'pacs', 'values.schema.json');

/** What the generator needs of a setting (libs/config/src/settings.ts `Setting`). */
interface SettingLike {
  readonly schema: { safeParse(value: unknown): { success: boolean; data?: unknown } };
  readonly default: unknown;
  readonly description: string;
  readonly secret: boolean;
  readonly group: string;
}
type JsonSchema = Record<string, unknown>;

/**
 * Settings the Helm chart sets itself (helm/pacs/templates/_helpers.tpl "pacs.managedConfig" and
 * "pacs.serviceConfig"); they are not accepted in the chart's `config` values. Checked against the rendered
 * chart by scripts/deploy/policy.spec.ts.
 */
export const chartManaged: Readonly<Record<string, { readonly value: string; readonly why: string }>> = {
  PACS_HTTP_HOST: { value: '0.0.0.0', why: 'a container listens on every interface' },
  PACS_HTTP_PORT: { value: '8080', why: 'the port of the probes, Services and NetworkPolicies' },
  PACS_STORAGE: { value: 's3', why: 'pods share no disk' },
  PACS_INDEX: { value: 'postgres', why: 'pods share no disk' },
  PACS_BUS: { value: 'kafka', why: 'the services run in separate pods' },
  PACS_DATA_DIR: { value: '/tmp/pacs', why: 'the only writable path (an emptyDir); nothing durable is kept there' },
  PACS_STOW_URL: { value: 'http://<fullname>-stow:8080', why: 'gateway only' },
  PACS_QIDO_URL: { value: 'http://<fullname>-qido:8080', why: 'gateway only' },
  PACS_WADO_URL: { value: 'http://<fullname>-wado:8080', why: 'gateway only' },
  PACS_RENDER_URL: {
    value: 'http://<fullname>-render:8080',
    why: 'gateway only; empty when services.render.enabled is false',
  },
  PACS_WORKLIST_URL: { value: 'http://<fullname>-hl7:8080', why: 'gateway only: UPS-RS and priors' },
  PACS_HL7_MLLP_PORT: { value: 'mllp.port (2575)', why: 'hl7 only' },
  PACS_DICOMWEB_INTERNAL_URL: { value: 'http://<fullname>-gateway:8080/dicomweb', why: 'hl7 only' },
  PACS_SERVICE_CLIENT_ID: {
    value: 'oidc.serviceClient.clientId',
    why: 'hl7 only, with its secret PACS_SERVICE_CLIENT_SECRET from oidc.serviceClient.clientSecret',
  },
};

function loadSettings(): Record<string, SettingLike> {
  const out = join(root, 'node_modules', '.cache', 'pacs-config-docs');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'swc'),
    [
      'libs',
      '-d',
      relative(root, out),
      '--config-file',
      '.swcrc',
      '--quiet',
      '--ignore',
      '**/*.spec.ts,**/*.integration-spec.ts,**/*.memory-spec.ts,**/generated/prisma/**',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const compiled = join(out, 'libs', 'config', 'src', 'settings.js');
  if (!existsSync(compiled)) throw new Error(`swc did not produce ${compiled}`);
  const require = createRequire(compiled);
  return (require(compiled) as { settings: Record<string, SettingLike> }).settings;
}

interface Zod {
  toJSONSchema(schema: unknown, options: { io: 'input'; unrepresentable: 'any' }): JsonSchema;
}

/** The parsed default tells what a setting is once its environment string is read. */
function kindOf(s: SettingLike): 'number' | 'boolean' | 'list' | 'string' {
  const parsed = s.schema.safeParse(s.default);
  if (!parsed.success) throw new Error(`the default ${JSON.stringify(s.default)} does not pass its own schema`);
  if (Array.isArray(parsed.data)) return 'list';
  if (typeof parsed.data === 'number') return 'number';
  if (typeof parsed.data === 'boolean') return 'boolean';
  return 'string';
}

/** The JSON schema of one setting as a Helm value: the environment string, or the YAML scalar/list it reads as. */
function valueSchema(z: Zod, name: string, s: SettingLike): JsonSchema {
  const input = z.toJSONSchema(s.schema, { io: 'input', unrepresentable: 'any' });
  delete input.$schema;
  const alternatives: JsonSchema[] = [{ type: 'null' }];
  switch (kindOf(s)) {
    case 'number':
      alternatives.push(input, { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' });
      break;
    case 'boolean':
      alternatives.push({ type: 'boolean' }, input);
      break;
    case 'list':
      alternatives.push(input, { type: 'array', items: { type: 'string', minLength: 1 } });
      break;
    default:
      alternatives.push(input);
  }
  return { description: `${s.description} Default: ${JSON.stringify(s.default)}.`, anyOf: alternatives, title: name };
}

async function format(text: string, filepath: string): Promise<string> {
  // Loaded here, not at the top: prettier's CommonJS entry uses import(), which jest's VM refuses, and the
  // tests import this module for chartManaged only.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(text, { ...options, filepath });
}

function markdown(settings: Record<string, SettingLike>): string {
  const declared = Object.keys(settings);
  // Table cells: a pipe ends the cell and * starts emphasis ("*" allows any origin), so both are escaped.
  const cell = (s: string): string => s.replace(/[|*]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
  const code = (v: unknown): string => (v === '' ? '_(empty)_' : `\`${String(v).replace(/\|/g, '\\|')}\``);
  const groups = [...new Set(declared.map((n) => settings[n].group))];
  const lines = [
    '<!-- Generated by scripts/codegen/config-docs.ts from libs/config/src/settings.ts. Do not edit. -->',
    '',
    '# Configuration',
    '',
    'Every service reads its configuration from environment variables only, all of them listed here with their',
    'one default. `loadConfig()` checks every setting at start and reports all invalid ones at once; a secret',
    'is never logged.',
    '',
    'With the Helm chart (docs/deploy.md): a non-secret setting is one line under `config:` (every service) or',
    '`services.<name>.config:` (one service), checked by `values.schema.json`; a secret comes from an existing',
    'Secret through `postgresql.secretEnv`, `s3.secretEnv`, `kafka.secretEnv` or `oidc.serviceClient.clientSecret`,',
    'and is refused under `config:`.',
    '',
  ];
  for (const group of groups) {
    lines.push(`## ${group}`, '', '| Setting | Default | Secret | Description |', '| --- | --- | --- | --- |');
    for (const name of declared.filter((n) => settings[n].group === group)) {
      const s = settings[name];
      const managed = chartManaged[name] ? ` Helm chart: always \`${chartManaged[name].value}\`.` : '';
      lines.push(`| \`${name}\` | ${code(s.default)} | ${s.secret ? 'yes' : ''} | ${cell(s.description + managed)} |`);
    }
    lines.push('');
  }
  lines.push('## Set by the Helm chart', '', '| Setting | Value | Why |', '| --- | --- | --- |');
  for (const [name, { value, why }] of Object.entries(chartManaged)) {
    lines.push(`| \`${name}\` | ${code(value)} | ${cell(why)} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function valuesSchema(z: Zod, settings: Record<string, SettingLike>): string {
  const names = Object.keys(settings).sort();
  const configurable = names.filter((n) => !settings[n].secret && !(n in chartManaged));
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { definitions: Record<string, unknown> };
  schema.definitions.config = {
    type: 'object',
    description:
      'Generated from libs/config/src/settings.ts: the non-secret settings the chart does not set itself. ' +
      'A secret or an unknown name is refused.',
    additionalProperties: false,
    properties: Object.fromEntries(configurable.map((n) => [n, valueSchema(z, n, settings[n])])),
  };
  schema.definitions.settingName = {
    description: 'Generated from libs/config/src/settings.ts: every setting.',
    enum: names,
  };
  schema.definitions.secretSettingName = {
    description: 'Generated from libs/config/src/settings.ts: the secret settings (never a value in a values file).',
    enum: names.filter((n) => settings[n].secret),
  };
  return JSON.stringify(schema, null, 2);
}

async function main(): Promise<void> {
  const settings = loadSettings();
  const z = createRequire(join(root, 'libs', 'config', 'src', 'settings.ts'))('zod').z as Zod;
  const outputs: [string, string][] = [
    [docsPath, await format(markdown(settings), docsPath)],
    [schemaPath, await format(valuesSchema(z, settings), schemaPath)],
  ];
  let stale = 0;
  for (const [path, text] of outputs) {
    const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (current === text) continue;
    if (check) {
      stale += 1;
      console.error(`${relative(root, path)} is out of date: run npx node scripts/codegen/config-docs.ts`);
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${relative(root, path)}`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

// Imported by tests for chartManaged: generate only when run as a program.
if (process.argv[1]?.endsWith('config-docs.ts')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
