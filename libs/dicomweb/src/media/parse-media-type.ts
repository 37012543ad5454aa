// Media types (RFC 7231 §3.1.1.1, as PS3.18 §8.7 restates it):
//   media-type = type "/" subtype *( OWS ";" OWS parameter )
//   parameter  = token "=" ( token / quoted-string )
// type, subtype and parameter names are case-insensitive; a parameter value is a token or a quoted
// string, and both spellings are equivalent (PS3.18 §8.7). Parameter values keep their case: whether
// it matters depends on the parameter.
import { DicomwebError } from '../errors/dicomweb-error';

export interface MediaType {
  /** Lower-cased type, '*' for a wildcard range. */
  readonly type: string;
  /** Lower-cased subtype, '*' for a wildcard range. */
  readonly subtype: string;
  /** `type/subtype`, lower-cased. */
  readonly essence: string;
  /** Parameters by lower-cased name; values unquoted and unescaped. */
  readonly params: Readonly<Record<string, string>>;
}

/** RFC 7230 §3.2.6 tchar. */
const isTchar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || // 0-9
  (c >= 0x41 && c <= 0x5a) || // A-Z
  (c >= 0x61 && c <= 0x7a) || // a-z
  "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));

const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x09;

/** Result of scanning one media type from `text` at `start`; `end` is where scanning stopped. */
export interface ScannedMediaType {
  media: MediaType | undefined;
  /** Ordered (name, value) pairs, so that Accept can split media-type parameters from accept-params at `q`. */
  paramList: [string, string][];
  problem?: string;
  end: number;
}

/**
 * Scans one media type (or media range) starting at `start`, stopping at a top-level ',' when `inList`
 * (an Accept field value), or at the end of the text. Never throws: problems are reported so that Accept
 * can ignore an invalid entry (PS3.18 §8.7.7: invalid Accept values are ignored) while Content-Type can
 * reject it.
 *
 * Tolerated beyond RFC 7231, because DICOMweb clients send them: an unquoted parameter value containing
 * '/' (`type=application/dicom`), whitespace around '=', empty parameters (`;;`, trailing `;`).
 */
export function scanMediaType(text: string, start: number, inList: boolean): ScannedMediaType {
  const n = text.length;
  let i = start;
  const stop = (c: number): boolean => inList && c === 0x2c; // ','
  const skipWs = (): void => {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
  };
  const token = (): string => {
    const from = i;
    while (i < n && isTchar(text.charCodeAt(i))) i++;
    return text.slice(from, i);
  };
  const fail = (problem: string): ScannedMediaType => {
    // Resynchronise at the next top-level ',' so that the following Accept entries still count.
    let quoted = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (quoted) {
        if (c === 0x5c) i++;
        else if (c === 0x22) quoted = false;
      } else if (c === 0x22) quoted = true;
      else if (stop(c)) break;
      i++;
    }
    return { media: undefined, paramList: [], problem, end: i };
  };

  skipWs();
  const type = token();
  if (!type) return fail('a media type needs a type');
  if (text.charCodeAt(i) !== 0x2f) return fail(`"${type}" is not of the form type/subtype`);
  i++;
  const subtype = token();
  if (!subtype) return fail(`"${type}/" has no subtype`);
  if (type === '*' && subtype !== '*') return fail('"*/subtype" is not a media range');

  const paramList: [string, string][] = [];
  for (;;) {
    skipWs();
    if (i >= n || stop(text.charCodeAt(i))) break;
    if (text.charCodeAt(i) !== 0x3b) return fail(`unexpected "${text[i]}" after the media type`);
    i++; // ';'
    skipWs();
    if (i >= n || stop(text.charCodeAt(i)) || text.charCodeAt(i) === 0x3b) continue; // empty parameter
    const name = token().toLowerCase();
    if (!name) return fail(`unexpected "${text[i]}" where a parameter name belongs`);
    skipWs();
    if (text.charCodeAt(i) !== 0x3d) return fail(`parameter "${name}" has no value`);
    i++; // '='
    skipWs();
    let value = '';
    if (text.charCodeAt(i) === 0x22) {
      // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
      i++;
      let closed = false;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x5c && i + 1 < n) {
          value += text[i + 1];
          i += 2;
        } else if (c === 0x22) {
          i++;
          closed = true;
          break;
        } else if (c < 0x20 && c !== 0x09) {
          return fail(`parameter "${name}" contains a control character`);
        } else {
          value += text[i];
          i++;
        }
      }
      if (!closed) return fail(`parameter "${name}" has an unterminated quoted string`);
    } else {
      const from = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x3b || isWhitespace(c) || c === 0x22 || c < 0x20 || c === 0x7f || stop(c)) break;
        i++;
      }
      value = text.slice(from, i);
      if (!value) return fail(`parameter "${name}" has an empty value`);
    }
    paramList.push([name, value]);
  }

  const lowerType = type.toLowerCase();
  const lowerSubtype = subtype.toLowerCase();
  const params: Record<string, string> = {};
  for (const [name, value] of paramList) params[name] = value;
  return {
    media: { type: lowerType, subtype: lowerSubtype, essence: `${lowerType}/${lowerSubtype}`, params },
    paramList,
    end: i,
  };
}

/**
 * Parses one media type, e.g. a Content-Type field value. A duplicated parameter or a wildcard is
 * rejected.
 * @throws DicomwebError('BadRequest') when `text` is not a media type.
 */
export function parseMediaType(text: string): MediaType {
  const scanned = scanMediaType(text, 0, false);
  if (!scanned.media) throw new DicomwebError('BadRequest', `Invalid media type: ${scanned.problem}`);
  if (scanned.media.type === '*' || scanned.media.subtype === '*') {
    throw new DicomwebError('BadRequest', `Invalid media type: "${scanned.media.essence}" is a range, not a type`);
  }
  const seen = new Set<string>();
  for (const [name] of scanned.paramList) {
    if (seen.has(name)) throw new DicomwebError('BadRequest', `Invalid media type: parameter "${name}" is repeated`);
    seen.add(name);
  }
  return scanned.media;
}

/** A token can be written bare; anything else is quoted (RFC 7230 §3.2.6). */
const quoteIfNeeded = (value: string): string => {
  if (value.length > 0 && [...value].every((ch) => isTchar(ch.charCodeAt(0)))) return value;
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
};

/** Writes a media type with its parameters: `formatMediaType('multipart/related', { type: 'application/dicom' })`. */
export function formatMediaType(essence: string, params: Readonly<Record<string, string | undefined>> = {}): string {
  let out = essence;
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) out += `; ${name}=${quoteIfNeeded(value)}`;
  }
  return out;
}
