// @pacs/auth — who may do what: bearer JWT authentication (OIDC issuer's JWKS), authorization by scope and
// partition, the audit trail of every DICOMweb access, and the access tokens of our own calls to the API
// (client credentials grant; docs/architecture.md, "Security").
export { AuthError, bearerChallenge } from './auth-error';
export { Authenticator, type AuthenticatorOptions } from './authenticator';
export { AuthConfigError, createAuthentication, type Authentication } from './create-authenticator';
export { clientAddressResolver } from './client-address';
export {
  ClientCredentialsTokenSource,
  ServiceTokenError,
  type AccessTokenSource,
  type ClientCredentialsOptions,
  type ServiceTokenLogger,
} from './client-credentials';
export { createServiceCredentials, type ServiceCredentials } from './create-service-credentials';
export { AccessAction, dicomwebResourceOf, type DicomwebResource } from './dicomweb-resource';
export {
  KeySetUnavailableError,
  keyFits,
  parseKeySet,
  selectKey,
  signatureAlgorithms,
  UnknownKeyError,
  type SignatureAlgorithm,
  type VerificationKey,
} from './key-set';
export {
  FileKeySource,
  RemoteKeySource,
  type FileKeySourceOptions,
  type KeySource,
  type KeySourceLogger,
  type RemoteKeySourceOptions,
} from './key-source';
export { anonymousPrincipal, attachPrincipal, hasScope, principalOf, Scope, type Principal } from './principal';
export { requiredScope } from './required-scope';
export {
  createTokenVerifier,
  TokenProblem,
  TokenRejectedError,
  type TokenClaims,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './token-verifier';
export { buildAuditRecord, type AccessFacts, type AuditRecord } from './audit/audit-record';
export { auditMarker, createAuditSink, type AuditSink } from './audit/audit-sink';
export { attachCoercion, coercionOf, type CoercionFacts } from './audit/coercion';
