export { settings, type Config, type Setting, type SettingName } from './settings';
export { loadConfig, describeConfig, ConfigError } from './load-config';
