// HTTP validators and caching directives of the WADO-RS resources (RFC 9110 §8.8, §13; RFC 9111 §5.2).
import { createHash } from 'node:crypto';

/**
 * Frames and bulk data of a stored object never change: a SOP Instance UID names one content (PS3.4 B.2.3; a
 * different object under a stored UID is refused), and their ETag comes from the SHA-256 of that content. (Whole
 * instances are revalidated: their Patient module is sent as the patient's current record says.) `private`: they
 * carry patient data, so only the client's own cache keeps them.
 */
export const immutableCacheControl = 'private, max-age=31536000, immutable';

/**
 * Metadata and instances change as instances arrive and as the patient's record changes: a client keeps them but
 * revalidates every time (RFC 9111 §5.2.2.4).
 */
export const revalidateCacheControl = 'private, no-cache';

/**
 * A strong entity tag (RFC 9110 §8.8.3) from the parts that determine a representation's bytes: the stored
 * content (or the metadata's fingerprint), the representation chosen (media type, transfer syntax, frames),
 * the base URL written into it and the content coding.
 */
export function entityTag(parts: readonly (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 27)}"`;
}

/** A multipart boundary that depends only on the entity tag, so a cacheable multipart body is the same bytes each time. */
export const boundaryOf = (etag: string): string => `wado-${etag.replace(/[^A-Za-z0-9]/g, '')}`;

/**
 * Whether If-None-Match matches `etag` (RFC 9110 §13.1.2): `*`, or one of the listed tags by weak comparison
 * (W/ prefixes ignored). Then a GET answers 304 (Not Modified).
 */
export function ifNoneMatchMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return (text.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === wanted);
}

/** The value of a Vary header that adds `names` to what is there (the CORS layer sets Vary: Origin). */
export function varyWith(existing: unknown, names: readonly string[]): string {
  const current =
    typeof existing === 'string'
      ? existing
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const all = [...current];
  for (const name of names) if (!all.some((n) => n.toLowerCase() === name.toLowerCase())) all.push(name);
  return all.join(', ');
}
