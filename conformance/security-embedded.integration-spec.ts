import { Hl7Feature, MllpListener } from '@pacs/hl7';
import { QidoFeature } from '@pacs/qido';
import { createApp } from '@pacs/runtime';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { WorklistFeature } from '@pacs/worklist';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/cluster/cluster';
import { describeSecurity } from './security.suite';

// The all-in-one with the hl7 and worklist features: an order calls this very process's UPS-RS, with the
// service client's token from the token endpoint the issuer's discovery document names.
describeSecurity('embedded process (JWKS fetched from the issuer)', async ({ issuer, settings }) => {
  await issuer.serve();
  const dataDir = mkdtempSync(join(tmpdir(), 'pacs-secure-'));
  const port = await freePort();
  const lines: string[] = [];
  const created = await createApp({
    name: 'pacs',
    features: [StowFeature, QidoFeature, WadoFeature, Hl7Feature, WorklistFeature],
    env: {},
    overrides: {
      ...settings,
      PACS_OIDC_ISSUER: issuer.issuer,
      PACS_OIDC_JWKS_URL: issuer.jwksUrl,
      PACS_DATA_DIR: dataDir,
      PACS_LOG_LEVEL: 'info',
      PACS_HTTP_PORT: String(port),
      PACS_HL7_MLLP_PORT: '0',
      PACS_DICOMWEB_INTERNAL_URL: `http://127.0.0.1:${port}/dicomweb`,
    },
    logDestination: { write: (text: string) => void lines.push(...text.split('\n').filter(Boolean)) },
  });
  await created.app.listen(port, '127.0.0.1');
  const rootUrl = `http://127.0.0.1:${port}`;
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return {
    rootUrl,
    baseUrl: `${rootUrl}/dicomweb`,
    mllpPort: created.app.get(MllpListener).address.port,
    auditRecords: async () => parsed().filter((l) => l.log === 'audit'),
    logText: () => lines.filter((l) => !l.includes('"log":"audit"')).join('\n'),
    close: async () => {
      await created.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
