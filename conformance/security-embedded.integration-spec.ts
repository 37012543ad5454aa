import { QidoFeature } from '@pacs/qido';
import { createApp } from '@pacs/runtime';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSecurity } from './security.suite';

describeSecurity('embedded process (JWKS fetched from the issuer)', async ({ issuer, settings }) => {
  await issuer.serve();
  const dataDir = mkdtempSync(join(tmpdir(), 'pacs-secure-'));
  const lines: string[] = [];
  const created = await createApp({
    name: 'pacs',
    features: [StowFeature, QidoFeature, WadoFeature],
    env: {},
    overrides: {
      ...settings,
      PACS_OIDC_ISSUER: issuer.issuer,
      PACS_OIDC_JWKS_URL: issuer.jwksUrl,
      PACS_DATA_DIR: dataDir,
      PACS_LOG_LEVEL: 'info',
    },
    logDestination: { write: (text: string) => void lines.push(...text.split('\n').filter(Boolean)) },
  });
  await created.app.listen(0, '127.0.0.1');
  const { port } = created.app.getHttpServer().address() as { port: number };
  const rootUrl = `http://127.0.0.1:${port}`;
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return {
    rootUrl,
    baseUrl: `${rootUrl}/dicomweb`,
    auditRecords: async () => parsed().filter((l) => l.log === 'audit'),
    logText: () => lines.filter((l) => !l.includes('"log":"audit"')).join('\n'),
    close: async () => {
      await created.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
