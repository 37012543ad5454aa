// A JSON Web Key Set (RFC 7517 §5) reduced to what verifying a token needs: the public keys that may verify
// signatures, by key id, as PEM (what the JWT verifier takes).
import { createPublicKey, type JsonWebKey } from 'node:crypto';

/** JWS algorithms we accept (RFC 7518 §3.1), with the key type and curve each needs. */
export const signatureAlgorithms = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
} as const satisfies Record<string, { kty: 'RSA' | 'EC'; crv?: string }>;
export type SignatureAlgorithm = keyof typeof signatureAlgorithms;

export interface VerificationKey {
  kid?: string;
  kty: 'RSA' | 'EC';
  crv?: string;
  /** The algorithm the key is restricted to (JWK "alg"), if any. */
  alg?: string;
  pem: string;
}

/** Why a token's key could not be found: the token is refused (401), the issuer is not to blame. */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
}

/** The issuer's keys could not be had (network, file, bad JWKS): nobody can be authenticated (503). */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
}

/** Largest JWKS document read (a JWKS holds a handful of keys; anything bigger is not one). */
export const maxKeySetBytes = 1024 * 1024;

/**
 * Parses a JWKS document. Keys that cannot verify signatures are left out: RFC 7517 §4.2 "use" other than
 * "sig", §4.3 "key_ops" without "verify", key types other than RSA and EC. Only the public members are read,
 * so a key set that wrongly carries private members leaks nothing further here.
 */
export function parseKeySet(text: string): VerificationKey[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new KeySetUnavailableError('The JWKS is not JSON');
  }
  const keys = (document as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new KeySetUnavailableError('The JWKS has no "keys" array (RFC 7517 §5)');
  const out: VerificationKey[] = [];
  for (const jwk of keys as Record<string, unknown>[]) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) continue;
    const pub: JsonWebKey | undefined =
      jwk.kty === 'RSA' && typeof jwk.n === 'string' && typeof jwk.e === 'string'
        ? { kty: 'RSA', n: jwk.n, e: jwk.e }
        : jwk.kty === 'EC' && typeof jwk.crv === 'string' && typeof jwk.x === 'string' && typeof jwk.y === 'string'
          ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
          : undefined;
    if (!pub) continue;
    let pem: string;
    try {
      pem = createPublicKey({ key: pub, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    } catch {
      continue; // e.g. a curve node does not know
    }
    out.push({
      kty: pub.kty as 'RSA' | 'EC',
      pem,
      ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}),
      ...(pub.crv ? { crv: pub.crv } : {}),
      ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}),
    });
  }
  return out;
}

/** Whether a key may verify a signature made with `alg`: its type and curve fit, and its own "alg" (if any) agrees. */
export function keyFits(key: VerificationKey, alg: string): boolean {
  const needs = (signatureAlgorithms as Record<string, { kty: string; crv?: string }>)[alg];
  if (!needs || key.kty !== needs.kty || (needs.crv !== undefined && key.crv !== needs.crv)) return false;
  return key.alg === undefined || key.alg === alg;
}

/**
 * The key of a token header (RFC 7515 §4.1.4 "kid"): with a kid, the key of that id; without, the only key
 * that fits the algorithm. Undefined when there is none (or no single one).
 */
export function selectKey(
  keys: readonly VerificationKey[],
  header: { kid?: unknown; alg?: unknown },
): VerificationKey | undefined {
  if (typeof header.alg !== 'string') return undefined;
  const alg = header.alg;
  if (typeof header.kid === 'string') return keys.find((k) => k.kid === header.kid && keyFits(k, alg));
  const fitting = keys.filter((k) => keyFits(k, alg));
  return fitting.length === 1 ? fitting[0] : undefined;
}
