import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/cluster/cluster';
import { startClusterTarget } from './support/cluster-target';
import { describeSecurity } from './security.suite';

// gateway → stow / qido / wado / render / hl7 with PACS_AUTH_MODE=jwt everywhere, the signing keys from a JWKS
// file (the air-gapped form), every process appending to one audit file: one record per access proves that the
// gateway and the service behind it never both audit a request. hl7 calls UPS-RS through the gateway with the
// service client's token from PACS_SERVICE_TOKEN_URL (the services must be built: npm run build).
describeSecurity('cluster (gateway and services, JWKS file)', async ({ issuer, settings }) => {
  await issuer.serve();
  const dir = mkdtempSync(join(tmpdir(), 'pacs-secure-cluster-'));
  const jwks = join(dir, 'jwks.json');
  const auditLog = join(dir, 'audit.log');
  writeFileSync(jwks, JSON.stringify(issuer.jwks()));
  const mllpPort = await freePort();
  const target = await startClusterTarget(['stow', 'qido', 'wado', 'render', 'hl7', 'gateway'], {
    ...settings,
    PACS_OIDC_ISSUER: issuer.issuer,
    PACS_OIDC_JWKS_FILE: jwks,
    PACS_SERVICE_TOKEN_URL: issuer.tokenUrl,
    PACS_AUDIT_LOG: auditLog,
    PACS_HL7_MLLP_PORT: String(mllpPort),
  });
  return {
    rootUrl: target.cluster.gatewayUrl,
    baseUrl: `${target.cluster.gatewayUrl}/dicomweb`,
    mllpPort,
    auditRecords: async () =>
      existsSync(auditLog)
        ? readFileSync(auditLog, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, any>)
        : [],
    close: async () => {
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
