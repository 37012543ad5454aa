import type { Config } from '@pacs/config';
import { ClientCredentialsTokenSource, type AccessTokenSource, type ServiceTokenLogger } from './client-credentials';

/** How our own calls to the DICOMweb API are authorised (docs/architecture.md, "Security"). */
export interface ServiceCredentials {
  /** The source of their bearer tokens; undefined when they need none (PACS_AUTH_MODE=none) or have none. */
  tokens?: AccessTokenSource;
  /** Why they cannot be authorised (jwt without a client): logged at start, and the reason each call fails. */
  problem?: string;
}

/**
 * The service client of PACS_SERVICE_CLIENT_ID with PACS_AUTH_MODE=jwt. A missing client is a problem to report,
 * not a reason to refuse to start: only the calls that need a token fail, and only in the services that make them.
 */
export function createServiceCredentials(config: Config, logger?: ServiceTokenLogger): ServiceCredentials {
  if (config.PACS_AUTH_MODE !== 'jwt') return {};
  const missing = [
    ...(config.PACS_SERVICE_CLIENT_ID ? [] : ['PACS_SERVICE_CLIENT_ID']),
    ...(config.PACS_SERVICE_CLIENT_SECRET ? [] : ['PACS_SERVICE_CLIENT_SECRET']),
  ];
  if (missing.length > 0) {
    return {
      problem:
        `PACS_AUTH_MODE=jwt and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: ` +
        'calls to the DICOMweb API (orders to UPS workitems, completed workitems, priors prefetch) have no access token',
    };
  }
  return {
    tokens: new ClientCredentialsTokenSource({
      clientId: config.PACS_SERVICE_CLIENT_ID,
      clientSecret: config.PACS_SERVICE_CLIENT_SECRET,
      tokenUrl: config.PACS_SERVICE_TOKEN_URL,
      issuer: config.PACS_OIDC_ISSUER,
      scopes: config.PACS_SERVICE_SCOPES,
      audience: config.PACS_SERVICE_AUDIENCE,
      ...(logger ? { logger } : {}),
    }),
  };
}
