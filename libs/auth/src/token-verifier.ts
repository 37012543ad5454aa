// Verification of OAuth 2.0 access tokens that are JWTs (RFC 7519; the profile of RFC 9068): signature by a key
// of the issuer's JWKS, algorithm from our allow-list only, exp required, nbf, iss and aud checked, with a clock
// tolerance. fast-jwt does the JWS work on node:crypto; verified tokens are cached (keyed by a hash of the
// token), so a viewer's hundreds of requests with one token cost one signature check.
import { createVerifier, TokenError } from 'fast-jwt';
import { KeySetUnavailableError, UnknownKeyError, type SignatureAlgorithm } from './key-set';
import type { KeySource } from './key-source';

export interface TokenVerifierOptions {
  keys: KeySource;
  issuer: string;
  audiences: readonly string[];
  algorithms: readonly SignatureAlgorithm[];
  clockToleranceSeconds: number;
  /** Verified tokens remembered (LRU); 0 turns the cache off. Default 1000. */
  cacheSize?: number;
  /** Longest time a verified token is remembered (its exp comes first); default 60 s. */
  cacheTtlMs?: number;
}

/** The claims of a verified token. */
export type TokenClaims = Readonly<Record<string, unknown>> & {
  readonly iss: string;
  readonly exp: number;
  readonly sub?: string;
};

/** Why a token was refused, in words safe to send back (never the token or its claims). */
export const TokenProblem = {
  Malformed: 'The access token is not a well-formed JWT',
  Algorithm: 'The access token is signed with an algorithm this server does not accept',
  Unsigned: 'The access token is not signed',
  Signature: 'The access token signature is not valid',
  UnknownKey: 'The access token is signed with a key the issuer does not publish',
  Expired: 'The access token has expired',
  NotYetValid: 'The access token is not valid yet',
  Issuer: 'The access token is from another issuer',
  Audience: 'The access token is not meant for this server',
  MissingClaim: 'The access token lacks a required claim (exp, iss, aud)',
  Claims: 'The access token has invalid claims',
} as const;
export type TokenProblem = (typeof TokenProblem)[keyof typeof TokenProblem];

export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  constructor(readonly problem: TokenProblem) {
    super(problem);
  }
}

const problemOf = (error: TokenError): TokenProblem => {
  const codes = TokenError.codes;
  switch (error.code) {
    case codes.invalidAlgorithm:
    case codes.invalidKey:
      return TokenProblem.Algorithm;
    case codes.missingSignature:
      return TokenProblem.Unsigned;
    case codes.invalidSignature:
    case codes.verifyError:
      return TokenProblem.Signature;
    case codes.expired:
      return TokenProblem.Expired;
    case codes.inactive:
      return TokenProblem.NotYetValid;
    case codes.missingRequiredClaim:
      return TokenProblem.MissingClaim;
    case codes.invalidClaimValue:
      return /\biss\b/.test(error.message)
        ? TokenProblem.Issuer
        : /\baud\b/.test(error.message)
          ? TokenProblem.Audience
          : TokenProblem.Claims;
    case codes.invalidClaimType:
      return TokenProblem.Claims;
    default:
      return TokenProblem.Malformed;
  }
};

export interface TokenVerifier {
  /**
   * The claims of a valid token.
   * @throws TokenRejectedError (answer 401) or KeySetUnavailableError (answer 503: the token may be fine)
   */
  verify(token: string): Promise<TokenClaims>;
}

/** The header names an algorithm outside the allow-list ("none", HMAC, or one not configured). */
class AlgorithmRefusedError extends Error {}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (!options.issuer) throw new Error('A token verifier needs the issuer');
  if (options.audiences.length === 0) throw new Error('A token verifier needs at least one audience');
  const allowed = new Set<unknown>(options.algorithms);
  const verify = createVerifier({
    // The key of the token's kid, checked against its alg (key-set.ts keyFits): an RSA key never verifies an
    // ES256 signature, and HMAC or "none" never get here (not in the allow-list).
    key: async (decoded: { header: Record<string, unknown> }) => {
      if (!allowed.has(decoded.header.alg)) throw new AlgorithmRefusedError();
      return (await options.keys.keyFor(decoded.header)).pem;
    },
    algorithms: [...options.algorithms],
    allowedIss: options.issuer,
    allowedAud: [...options.audiences],
    // fast-jwt checks iss and aud only when present: a token without them must not pass.
    requiredClaims: ['exp', 'iss', 'aud'],
    clockTolerance: options.clockToleranceSeconds * 1000,
    cache: options.cacheSize ?? 1000,
    cacheTTL: options.cacheTtlMs ?? 60_000,
  });
  return {
    async verify(token: string): Promise<TokenClaims> {
      try {
        return (await verify(token)) as TokenClaims;
      } catch (error) {
        if (error instanceof TokenError) {
          const original: unknown = (error as TokenError & { originalError?: unknown }).originalError;
          if (original instanceof KeySetUnavailableError) throw original;
          if (original instanceof UnknownKeyError) throw new TokenRejectedError(TokenProblem.UnknownKey);
          if (original instanceof AlgorithmRefusedError) throw new TokenRejectedError(TokenProblem.Algorithm);
          throw new TokenRejectedError(problemOf(error));
        }
        throw error;
      }
    },
  };
}
