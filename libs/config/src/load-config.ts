import { settings, type Config, type SettingName } from './settings';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Validates every setting at once (all problems in one error) and returns a frozen, typed config.
 * `overrides` win over the environment: the composition root and tests pass them instead of mutating env.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<Record<SettingName, string>> = {},
): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const raw = overrides[name] ?? env[name] ?? s.default;
    const parsed = s.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else {
      const shown = s.secret ? '<secret>' : JSON.stringify(raw);
      problems.push(`${name}=${shown}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** The config with secrets masked, for a start-up log line. */
export function describeConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([name, value]) => [
      name,
      settings[name as SettingName].secret && value ? '<secret>' : value,
    ]),
  );
}
