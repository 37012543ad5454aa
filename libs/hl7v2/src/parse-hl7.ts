import { resolveHl7Charset, type Hl7Charset } from './charset';
import { readDelimiters } from './delimiters';
import { type Hl7FormattingMode } from './escape';
import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';
import { Hl7Message, Hl7Segment, type Hl7Context } from './hl7-message';

export interface ParseHl7Options {
  /** Formatting escapes (\.br\, \H\ …): converted to plain text (default) or kept; see unescapeHl7. */
  readonly formatting?: Hl7FormattingMode;
  /**
   * The charset the text was decoded from (decodeHl7Bytes); used for \Xhh\ escapes. Without it, MSH-18
   * is read, and an MSH-18 we cannot decode falls back to 'auto' since the text is already decoded.
   */
  readonly charset?: Hl7Charset;
}

// v2.5 §2.5.2: a segment ID is three characters, an upper-case letter then letters or digits
// (Z segments included).
const segmentIdPattern = /^[A-Z][A-Z0-9]{2}$/;
// MSH-12.1, VID.1 (table 0104): 2.1 … 2.9 and later minor versions.
const versionPattern = /^2\.\d+(\.\d+)*$/;

/**
 * Parses one HL7 v2 message in ER7 ("pipe") encoding. Segments end with CR (v2.5 §2.5.1); CRLF and LF are
 * accepted too, and empty lines are skipped. Delimiters come from MSH-1/MSH-2 (any choice, 2 to 5
 * encoding characters). Throws Hl7ParseError with its table 0357 code:
 * - 100 when the text does not start with MSH, a segment ID is malformed, or a second MSH follows
 *   (batches, FHS/BHS, are not supported);
 * - 102 for invalid delimiters;
 * - 101 when MSH-9.1, MSH-10, MSH-11 or MSH-12 is empty;
 * - 203 when MSH-12 is not a v2 version.
 * Values are split lazily and unescaped when read (Hl7Message.get).
 */
export function parseHl7(text: string, options: ParseHl7Options = {}): Hl7Message {
  const body = text.replace(/^\uFEFF/, '').replace(/^[\r\n\t ]+/, '');
  if (!body.startsWith('MSH')) {
    throw new Hl7ParseError(Hl7ErrorCode.SegmentSequenceError, 'the message does not start with an MSH segment', {
      location: 'MSH',
    });
  }
  const delimiters = readDelimiters(body);
  const lines = body.split(/\r\n|\r|\n/);
  const raw: { name: string; fields: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const name = line.slice(0, 3);
    if (!segmentIdPattern.test(name) || (line.length > 3 && line.charAt(3) !== delimiters.field)) {
      throw new Hl7ParseError(
        Hl7ErrorCode.SegmentSequenceError,
        `segment ${raw.length + 1} has no valid segment ID ('${line.slice(0, 8)}')`,
      );
    }
    if (name === 'MSH') {
      if (raw.length > 0) {
        throw new Hl7ParseError(Hl7ErrorCode.SegmentSequenceError, 'a second MSH segment (batches are not supported)', {
          location: 'MSH[2]',
        });
      }
      // MSH-1 is the field separator itself, MSH-2 the encoding characters (v2.5 §2.5.4).
      const rest = line.slice(4).split(delimiters.field);
      raw.push({ name, fields: ['MSH', delimiters.field, ...rest] });
    } else {
      raw.push({ name, fields: line.split(delimiters.field) });
    }
  }

  const header = raw[0] as { fields: string[] };
  const headerValue = (field: number): string => {
    let v = header.fields[field] ?? '';
    v = v.split(delimiters.repetition)[0] ?? '';
    return v.split(delimiters.component)[0] ?? '';
  };
  const charset = options.charset ?? charsetOrAuto(headerValue(18));
  const context: Hl7Context = { delimiters, charset, formatting: options.formatting ?? 'text' };
  const counts = new Map<string, number>();
  const segments = raw.map((s) => {
    const index = (counts.get(s.name) ?? 0) + 1;
    counts.set(s.name, index);
    return new Hl7Segment(s.name, s.fields, context, index);
  });
  const message = new Hl7Message(segments, context);

  const required: [number, string][] = [
    [9, 'MSH-9 (message type)'],
    [10, 'MSH-10 (message control id)'],
    [11, 'MSH-11 (processing id)'],
    [12, 'MSH-12 (version id)'],
  ];
  for (const [field, what] of required) {
    if (headerValue(field).trim() === '') {
      throw new Hl7ParseError(Hl7ErrorCode.RequiredFieldMissing, `${what} is empty`, { location: `MSH-${field}` });
    }
  }
  const version = headerValue(12).trim();
  if (!versionPattern.test(version)) {
    throw new Hl7ParseError(Hl7ErrorCode.UnsupportedVersionId, `MSH-12 version '${version}' is not an HL7 v2 version`, {
      location: 'MSH-12',
    });
  }
  return message;
}

function charsetOrAuto(msh18: string): Hl7Charset {
  try {
    return resolveHl7Charset(msh18);
  } catch {
    return { name: msh18, decoder: 'auto' };
  }
}
