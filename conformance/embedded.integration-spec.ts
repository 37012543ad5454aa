import { QidoFeature } from '@pacs/qido';
import { createApp } from '@pacs/runtime';
import { StowFeature } from '@pacs/stow';
import { WadoFeature } from '@pacs/wado';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDicomwebConformance } from './dicomweb.suite';

describeDicomwebConformance('embedded process', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pacs-embedded-'));
  const created = await createApp({
    name: 'pacs',
    features: [StowFeature, QidoFeature, WadoFeature],
    env: {},
    // The audit trail of this suite's requests is not what it checks (security-*.integration-spec.ts does).
    overrides: { PACS_DATA_DIR: dataDir, PACS_LOG_LEVEL: 'warn', PACS_AUDIT_LOG: '/dev/null' },
  });
  await created.app.listen(0, '127.0.0.1');
  const address = created.app.getHttpServer().address() as { port: number };
  const rootUrl = `http://127.0.0.1:${address.port}`;
  return {
    rootUrl,
    baseUrl: `${rootUrl}/dicomweb`,
    listBlobs: async () =>
      readdirSync(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && !e.parentPath.includes('.staging'))
        .map((e) => join(e.parentPath, e.name).slice(join(dataDir, 'blobs').length + 1)),
    close: async () => {
      await created.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
