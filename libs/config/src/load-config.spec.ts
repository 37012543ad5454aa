import { ConfigError, describeConfig, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('gives the embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.PACS_HTTP_PORT).toBe(8080);
    expect(config.PACS_HTTP_HOST).toBe('127.0.0.1');
    expect(config.PACS_STORAGE).toBe('fs');
    expect(config.PACS_BUS).toBe('memory');
    expect(config.PACS_INDEX).toBe('pglite');
    expect(config.PACS_CORS_ORIGINS).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every invalid setting at once', () => {
    const attempt = () => loadConfig({ PACS_HTTP_PORT: '70000', PACS_STORAGE: 'tape', PACS_S3_SECRET_ACCESS_KEY: '' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (e) {
      expect((e as ConfigError).problems).toHaveLength(2);
      expect((e as ConfigError).message).toContain('PACS_HTTP_PORT');
      expect((e as ConfigError).message).toContain('PACS_STORAGE');
    }
  });

  it('lets overrides win over the environment', () => {
    expect(loadConfig({ PACS_HTTP_PORT: '9000' }, { PACS_HTTP_PORT: '9001' }).PACS_HTTP_PORT).toBe(9001);
  });

  it('never shows a secret, valid or not', () => {
    const config = loadConfig({ PACS_S3_SECRET_ACCESS_KEY: 'hunter2', PACS_DATABASE_URL: 'postgres://u:p@h/db' });
    expect(JSON.stringify(describeConfig(config))).not.toMatch(/hunter2|u:p@/);
  });
});
