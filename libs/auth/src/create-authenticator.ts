import type { Config } from '@pacs/config';
import { Authenticator } from './authenticator';
import type { SignatureAlgorithm } from './key-set';
import { FileKeySource, RemoteKeySource, type KeySource, type KeySourceLogger } from './key-source';
import { createTokenVerifier } from './token-verifier';

export interface Authentication {
  authenticator: Authenticator;
  /** The issuer's keys (jwt mode), for the readiness check. */
  keys?: KeySource;
}

/** Settings that go together are checked together: jwt needs an issuer, an audience and a source of keys. */
export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

/** The authenticator of PACS_AUTH_MODE (docs/configuration.md, "security"). */
export function createAuthentication(config: Config, logger?: KeySourceLogger): Authentication {
  const partitions = new Map(
    config.PACS_AUTH_PARTITIONS.map((entry) => {
      const at = entry.lastIndexOf('=');
      return [entry.slice(0, at), Number(entry.slice(at + 1))] as const;
    }),
  );
  const common = { partitions, partitionClaim: config.PACS_AUTH_PARTITION_CLAIM };
  if (config.PACS_AUTH_MODE === 'none') return { authenticator: new Authenticator(common) };

  const problems = [
    ...(config.PACS_OIDC_ISSUER ? [] : ['PACS_OIDC_ISSUER is required']),
    ...(config.PACS_OIDC_AUDIENCE.length > 0 ? [] : ['PACS_OIDC_AUDIENCE is required']),
  ];
  if (problems.length > 0) throw new AuthConfigError(`PACS_AUTH_MODE=jwt: ${problems.join('; ')}`);
  const caching = {
    maxAgeMs: config.PACS_OIDC_JWKS_CACHE_SECONDS * 1000,
    ...(logger ? { logger } : {}),
  };
  const keys: KeySource = config.PACS_OIDC_JWKS_FILE
    ? new FileKeySource({ ...caching, path: config.PACS_OIDC_JWKS_FILE, cooldownMs: 5_000 })
    : new RemoteKeySource({
        ...caching,
        jwksUrl: config.PACS_OIDC_JWKS_URL,
        issuer: config.PACS_OIDC_ISSUER,
        cooldownMs: 30_000,
      });
  const verifier = createTokenVerifier({
    keys,
    issuer: config.PACS_OIDC_ISSUER,
    audiences: config.PACS_OIDC_AUDIENCE,
    algorithms: config.PACS_OIDC_ALGORITHMS as SignatureAlgorithm[],
    clockToleranceSeconds: config.PACS_OIDC_CLOCK_TOLERANCE_SECONDS,
  });
  return { authenticator: new Authenticator({ ...common, verifier }), keys };
}
