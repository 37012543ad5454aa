// A throwaway OpenID Connect issuer for the end-to-end test of a server in PACS_AUTH_MODE=jwt: makes an
// ES256 key, writes its JWKS to a file (PACS_OIDC_JWKS_FILE), and prints a token for it.
// usage: node scripts/e2e/make-test-issuer.mjs <jwks-file> <issuer> <audience>
import { createSigner } from 'fast-jwt';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const [jwksFile, issuer, audience] = process.argv.slice(2);
if (!jwksFile || !issuer || !audience) throw new Error('usage: make-test-issuer.mjs <jwks-file> <issuer> <audience>');
const kid = `e2e-${randomUUID().slice(0, 8)}`;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
writeFileSync(
  jwksFile,
  JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }),
);
const sign = createSigner({
  key: privateKey.export({ format: 'pem', type: 'pkcs8' }),
  algorithm: 'ES256',
  kid,
  expiresIn: 2 * 3600 * 1000,
});
process.stdout.write(sign({ iss: issuer, aud: audience, sub: 'e2e-viewer', scope: 'dicomweb.read dicomweb.write' }));
