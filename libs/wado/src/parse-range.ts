// HTTP Range requests on bulk data (RFC 9110 §14.1.2 byte ranges, §14.2 Range, §15.3.7 206, §15.5.17 416).

export type RangeRequest =
  /** No Range, or one we answer with the whole representation (RFC 9110 §14.2: a server MAY ignore Range). */
  | { kind: 'whole' }
  /** One satisfiable range: bytes start..end inclusive. */
  | { kind: 'range'; start: number; end: number }
  /** A single range none of whose bytes exist: 416 with Content-Range: bytes * / size. */
  | { kind: 'unsatisfiable' };

/**
 * Reads a Range header against a representation of `size` bytes. One range is served (206): `a-b`, `a-`
 * and the suffix form `-n`; a last position past the end is shortened to it (§14.1.2). Several ranges,
 * another unit or a malformed header are ignored (the whole representation, 200), which §14.2 allows and
 * which spares multipart/byteranges inside multipart/related.
 */
export function parseRange(header: string | string[] | undefined, size: number): RangeRequest {
  if (typeof header !== 'string') return { kind: 'whole' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first.length > 15 || last.length > 15) return { kind: 'whole' };
  if (first === '') {
    // suffix-range: the last n bytes; n = 0 is unsatisfiable (§14.1.3)
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  // last-pos below first-pos: an invalid range-spec, so the header is ignored (§14.1.1)
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** The Content-Range value of a 206 (`bytes a-b/size`) or a 416 (`bytes *\/size`) (RFC 9110 §14.4). */
export function contentRange(range: RangeRequest, size: number): string {
  return range.kind === 'range' ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
}
