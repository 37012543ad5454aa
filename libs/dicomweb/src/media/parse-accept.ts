// Accept (RFC 7231 §5.3.2, PS3.18 §8.7.7):
//   Accept        = #( media-range [ accept-params ] )
//   accept-params = weight *( accept-ext )      weight = OWS ";" OWS "q=" qvalue
//   qvalue        = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
// Parameters before "q" belong to the media range; "q" and what follows are accept parameters.
import { scanMediaType, type MediaType } from './parse-media-type';

export interface AcceptEntry extends MediaType {
  /** Quality 0..1; 0 means "not acceptable" (RFC 7231 §5.3.1). */
  readonly q: number;
  /** Position in the field value (0-based), to break ties in favour of the client's order. */
  readonly index: number;
}

const qvalue = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses an Accept field value, or the `accept` query parameter (PS3.18 §8.3.3.1, same syntax). Several
 * fields (or query values) are one comma-separated list (RFC 7230 §3.2.2). Entries that are not valid
 * media ranges or carry an invalid q are left out: PS3.18 §8.7.7 says invalid Accept values are ignored.
 * Entries come back in the order given.
 */
export function parseAccept(header: string | readonly string[] | undefined): AcceptEntry[] {
  if (header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(',');
  const entries: AcceptEntry[] = [];
  let i = 0;
  let index = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const scanned = scanMediaType(text, i, true);
    i = scanned.end;
    if (!scanned.media) continue;
    const params: Record<string, string> = {};
    let q = 1;
    let valid = true;
    for (const [name, value] of scanned.paramList) {
      if (name === 'q') {
        if (!qvalue.test(value)) valid = false;
        q = Number(value);
        break; // accept-ext after q carries no meaning for us
      }
      params[name] = value;
    }
    if (!valid) continue;
    entries.push({ ...scanned.media, params, q, index: index++ });
  }
  return entries;
}
