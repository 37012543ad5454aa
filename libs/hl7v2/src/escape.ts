import { decodeWithCharset, type Hl7Charset } from './charset';
import { type Hl7Delimiters } from './delimiters';
import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';

/**
 * What to do with the formatting escapes of FT and TX data (v2.5 §2.7.2 highlighting \H\ \N\,
 * §2.7.6 formatted text \.br\ \.sp\ \.in\ \.ti\ \.sk\ \.ce\ \.fi\ \.nf\):
 * - 'text' (default): turn them into plain text — \.br\ and \.ce\ end the line ('\n'), \.sp n\ gives n
 *   line breaks, the others (highlighting, indents, fill mode) have no plain-text form and are dropped;
 * - 'keep': leave every formatting escape as it was sent, for a caller that renders FT itself.
 */
export type Hl7FormattingMode = 'text' | 'keep';

export interface UnescapeOptions {
  readonly formatting?: Hl7FormattingMode;
  /** Decodes the bytes of \Xhh…\; defaults to 'auto' (UTF-8 if valid, else ISO 8859-1). */
  readonly charset?: Hl7Charset;
  /** Path named in errors ('PID-5-1'). */
  readonly location?: string;
}

const autoCharset: Hl7Charset = { name: '', decoder: 'auto' };

/**
 * Replaces the escape sequences of one primitive value (a subcomponent, or a component without
 * subcomponents) by the text they stand for (v2.5 §2.7). Rules:
 * - \F\ \S\ \T\ \R\ \E\ and (v2.7) \P\ give the delimiters; \Xhh…\ gives the bytes hh… decoded in the
 *   message charset (an odd number of hex digits is a 102 error);
 * - \Zxx\ (locally defined) and any sequence we do not know are kept verbatim;
 * - \Cxxyy\ and \Mxxyyzz\ switch the character set inside a value (ISO 2022, v2.5 §2.7.4–2.7.5). We
 *   do not support that: the charset belongs in MSH-18 and the bytes. Reading such a value throws
 *   Hl7ParseError 102 at its location, so a name is never stored with the switch codes in it;
 * - an escape character without a closing one is kept as a literal character (common with senders that
 *   do not escape a lone backslash).
 */
export function unescapeHl7(value: string, d: Hl7Delimiters, options: UnescapeOptions = {}): string {
  const esc = d.escape;
  if (!esc || !value.includes(esc)) return value;
  const formatting = options.formatting ?? 'text';
  let out = '';
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf(esc, i);
    if (start < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, start);
    const end = value.indexOf(esc, start + 1);
    if (end < 0) {
      out += value.slice(start);
      break;
    }
    const body = value.slice(start + 1, end);
    const verbatim = value.slice(start, end + 1);
    out += expand(body, verbatim, d, formatting, options);
    i = end + 1;
  }
  return out;
}

function expand(
  body: string,
  verbatim: string,
  d: Hl7Delimiters,
  formatting: Hl7FormattingMode,
  options: UnescapeOptions,
): string {
  switch (body) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent || verbatim;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation || verbatim;
    case 'H':
    case 'N':
      return formatting === 'keep' ? verbatim : '';
    case '':
      // Two escape characters in a row: an empty sequence, which v2.5 does not define; keep it.
      return verbatim;
  }
  const head = body.charAt(0);
  if (head === 'X') {
    const hex = body.slice(1);
    if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2 !== 0) {
      throw new Hl7ParseError(Hl7ErrorCode.DataTypeError, `invalid hexadecimal escape ${verbatim}`, {
        location: options.location,
      });
    }
    return decodeWithCharset(Buffer.from(hex, 'hex'), options.charset ?? autoCharset);
  }
  if ((head === 'C' || head === 'M') && /^[CM][0-9A-Fa-f]{4,6}$/.test(body)) {
    throw new Hl7ParseError(
      Hl7ErrorCode.DataTypeError,
      `character set escape ${verbatim} is not supported: announce the character set in MSH-18`,
      { location: options.location },
    );
  }
  if (head === '.') {
    if (formatting === 'keep') return verbatim;
    const [command, arg] = [body.slice(1, 3), body.slice(3).trim()];
    switch (command) {
      case 'br':
      case 'ce':
        return '\n';
      case 'sp': {
        const n = arg === '' ? 1 : Number.parseInt(arg, 10);
        return Number.isFinite(n) && n > 0 && n < 1000 ? '\n'.repeat(n) : '\n';
      }
      case 'in':
      case 'ti':
      case 'sk':
      case 'fi':
      case 'nf':
        return '';
    }
  }
  return verbatim;
}

/**
 * Escapes text so that it can stand as one primitive value (v2.5 §2.7): the escape character first, then
 * every delimiter, and CR/LF as \X0D\ / \X0A\ (a bare CR would end the segment). Pass `{ lineBreaks: 'br' }`
 * for FT values, where a line break is \.br\ (§2.7.6).
 */
export function escapeHl7(text: string, d: Hl7Delimiters, options: { lineBreaks?: 'hex' | 'br' } = {}): string {
  const esc = d.escape || '\\';
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === esc) out += `${esc}E${esc}`;
    else if (c === d.field) out += `${esc}F${esc}`;
    else if (c === d.component) out += `${esc}S${esc}`;
    else if (c === d.repetition) out += `${esc}R${esc}`;
    else if (d.subcomponent && c === d.subcomponent) out += `${esc}T${esc}`;
    else if (d.truncation && c === d.truncation) out += `${esc}P${esc}`;
    else if (c === '\r' || c === '\n') {
      if (options.lineBreaks === 'br') {
        if (c === '\r' && text.charAt(i + 1) === '\n') i++;
        out += `${esc}.br${esc}`;
      } else out += c === '\r' ? `${esc}X0D${esc}` : `${esc}X0A${esc}`;
    } else out += c;
  }
  return out;
}
