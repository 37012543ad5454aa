import { freePort } from '../../../scripts/cluster/cluster';
import { bootstrap, createApp } from './bootstrap';

const quiet = { PACS_LOG_LEVEL: 'silent', PACS_AUDIT_LOG: '/dev/null' };

describe('bootstrap', () => {
  it('serves /metrics on PACS_METRICS_PORT only, away from the port clients reach', async () => {
    const [http, metrics] = [await freePort(), await freePort()];
    const app = await bootstrap({
      name: 'probe',
      features: [],
      env: {},
      overrides: { ...quiet, PACS_HTTP_PORT: String(http), PACS_METRICS_PORT: String(metrics) },
    });
    try {
      expect(app.metricsUrl).toBe(`http://127.0.0.1:${metrics}/metrics`);
      await fetch(`${app.url}/healthz`);
      const text = await (await fetch(app.metricsUrl!)).text();
      expect(text).toMatch(/^http_server_request_duration_count\{[^}]*http_route="\/healthz"[^}]*\} 1$/m);
      expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metrics}/healthz`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('refuses to start with PACS_AUTH_MODE=jwt and no issuer or audience', async () => {
    await expect(
      createApp({ name: 'probe', features: [], env: {}, overrides: { ...quiet, PACS_AUTH_MODE: 'jwt' } }),
    ).rejects.toThrow(/PACS_OIDC_ISSUER is required; PACS_OIDC_AUDIENCE is required/);
  });
});
