// Authentication and authorization of one request: the bearer token (RFC 6750 §2.1) is verified, the principal
// built from its claims (subject, client, scopes, partition), and the scope the request needs checked.
import { AuthError, bearerChallenge } from './auth-error';
import { KeySetUnavailableError } from './key-set';
import { anonymousPrincipal, hasScope, type Principal } from './principal';
import { requiredScope } from './required-scope';
import { TokenRejectedError, type TokenClaims, type TokenVerifier } from './token-verifier';

export interface AuthenticatorOptions {
  /** Undefined: authentication is off and every request is the anonymous principal. */
  verifier?: TokenVerifier;
  /** Partition id by value of the partition claim; empty: every token acts in partition 1. */
  partitions: ReadonlyMap<string, number>;
  partitionClaim: string;
}

/** RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token. */
const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

const scopesOf = (claims: TokenClaims): Set<string> => {
  const scopes = new Set<string>();
  // RFC 8693 §4.2 / RFC 9068 §2.2.3: "scope", space-separated; Microsoft Entra ID sends "scp".
  for (const claim of [claims.scope, claims.scp]) {
    const values = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
    for (const v of values) if (typeof v === 'string' && v) scopes.add(v);
  }
  return scopes;
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /** Whether requests need a token. */
  get enabled(): boolean {
    return this.options.verifier !== undefined;
  }

  /**
   * The principal of a request, authorized for what its method and path do.
   * @throws AuthError 401 without a valid token, 403 without the scope or partition, 503 without the issuer's keys
   */
  async authenticate(method: string, path: string, authorization: string | string[] | undefined): Promise<Principal> {
    const verifier = this.options.verifier;
    if (!verifier) return anonymousPrincipal;
    if (authorization === undefined) {
      // RFC 6750 §3.1: a request without credentials gets the challenge without an error code.
      throw new AuthError('Unauthorized', 'The request needs a bearer access token', bearerChallenge());
    }
    if (typeof authorization === 'string' && !/^bearer\b/i.test(authorization.trim())) {
      // Another scheme (Basic, …) is no bearer credential at all: the same answer as none.
      throw new AuthError('Unauthorized', 'The request needs a bearer access token', bearerChallenge());
    }
    const match = typeof authorization === 'string' ? bearer.exec(authorization.trim()) : null;
    if (!match) {
      // RFC 6750 §3.1 invalid_request: a malformed or repeated credential (400).
      throw new AuthError(
        'BadRequest',
        'The Authorization header must be one "Bearer <access token>"',
        bearerChallenge({ error: 'invalid_request', description: 'Malformed bearer credentials' }),
      );
    }
    let claims: TokenClaims;
    try {
      claims = await verifier.verify(match[1]!);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        throw new AuthError(
          'Unauthorized',
          error.problem,
          bearerChallenge({ error: 'invalid_token', description: error.problem }),
        );
      }
      if (error instanceof KeySetUnavailableError) {
        throw new AuthError('Unavailable', "The identity provider's signing keys cannot be loaded", undefined, {
          cause: error,
        });
      }
      throw error;
    }
    const { principal, partitionRefusal } = this.principalOf(claims);
    if (partitionRefusal) {
      throw new AuthError('Forbidden', partitionRefusal, bearerChallenge({ error: 'insufficient_scope' }), {
        principal,
      });
    }
    const scope = requiredScope(method, path);
    if (!hasScope(principal, scope)) {
      throw new AuthError(
        'Forbidden',
        `The access token does not grant the scope ${scope}`,
        bearerChallenge({ error: 'insufficient_scope', scope }),
        { principal },
      );
    }
    return principal;
  }

  private principalOf(claims: TokenClaims): { principal: Principal; partitionRefusal?: string } {
    const clientId = text(claims.azp) ?? text(claims.client_id);
    const { partitionId, refusal } = this.partitionOf(claims);
    return {
      principal: {
        subject: text(claims.sub) ?? clientId ?? 'unknown',
        ...(clientId ? { clientId } : {}),
        authenticated: true,
        scopes: scopesOf(claims),
        partitionId,
      },
      ...(refusal ? { partitionRefusal: refusal } : {}),
    };
  }

  /**
   * The partition the claim names. None configured: partition 1. A claim that names no configured partition,
   * or several, is refused (partition 0, which is never a partition: ids start at 1).
   */
  private partitionOf(claims: TokenClaims): { partitionId: number; refusal?: string } {
    const { partitions, partitionClaim } = this.options;
    if (partitions.size === 0) return { partitionId: anonymousPrincipal.partitionId };
    const claim = claims[partitionClaim];
    const values = (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === 'string');
    const ids = new Set(values.map((v) => partitions.get(v)).filter((id): id is number => id !== undefined));
    if (ids.size === 1) return { partitionId: [...ids][0]! };
    return {
      partitionId: 0,
      refusal:
        ids.size === 0
          ? 'The access token grants access to no partition of this archive'
          : 'The access token names several partitions; this server acts in one per request',
    };
  }
}
