import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';

/**
 * How the bytes of a message are turned into text: MSH-18 (Character Set, HL7 table 0211) names the
 * encoding of the whole message. `decoder` is a WHATWG encoding label (Node's TextDecoder, with full ICU),
 * or 'latin1' for an exact ISO 8859-1 byte→code point mapping, or 'auto' when MSH-18 is empty.
 */
export interface Hl7Charset {
  /** MSH-18 as sent ('' when empty). */
  readonly name: string;
  readonly decoder: string;
}

// HL7 table 0211 (v2.5 §2.15.9.18, v2.8 §2.A.3). Also accepted: the IANA spellings some senders use.
// UNICODE UTF-16/UTF-32 are not accepted: their bytes contain 0x0B/0x1C and break MLLP framing
// (HL7 MLLP Release 1, "the content must not contain <SB> or <EB>"). JIS X 0212 (ISO IR159) and
// CNS 11643 have no decoder in the WHATWG set.
const table0211: Readonly<Record<string, string>> = {
  ASCII: 'ascii',
  '8859/1': 'latin1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'windows-1254', // WHATWG decodes ISO 8859-9 with its superset windows-1254
  '8859/15': 'iso-8859-15',
  'ISO IR14': 'shift_jis', // JIS X 0201: ASCII/Roman plus half-width katakana 0xA1–0xDF
  'ISO IR87': 'iso-2022-jp',
  'GB 18030-2000': 'gb18030',
  'KS X 1001': 'euc-kr',
  'BIG-5': 'big5',
  // Table 0211 "UNICODE" names the repertoire, not a byte form; over MLLP only UTF-8 is workable.
  UNICODE: 'utf-8',
  'UNICODE UTF-8': 'utf-8',
  'UTF-8': 'utf-8',
  UTF8: 'utf-8',
  'ISO-8859-1': 'latin1',
  'ISO-8859-15': 'iso-8859-15',
};

/** The charset of an MSH-18 value; throws Hl7ParseError 103 (table value not found) when we cannot decode it. */
export function resolveHl7Charset(msh18: string): Hl7Charset {
  const name = msh18.trim();
  if (name === '') return { name: '', decoder: 'auto' };
  const decoder = table0211[name.toUpperCase()];
  if (!decoder) {
    throw new Hl7ParseError(
      Hl7ErrorCode.TableValueNotFound,
      `MSH-18 character set '${name}' is not supported (HL7 table 0211)`,
      { location: 'MSH-18' },
    );
  }
  return { name, decoder };
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes in the given charset. With an empty MSH-18 the standard's default is 7-bit ASCII
 * (v2.5 §2.15.9.18); senders that leave it empty in practice send UTF-8 or ISO 8859-1, so 'auto' decodes
 * UTF-8 when the bytes are valid UTF-8 and ISO 8859-1 otherwise. A declared charset the bytes do not
 * follow is a Hl7ParseError 102 at MSH-18.
 */
export function decodeWithCharset(bytes: Uint8Array, charset: Hl7Charset): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (charset.decoder) {
    case 'auto':
      try {
        return utf8Fatal.decode(buffer);
      } catch {
        return buffer.toString('latin1');
      }
    case 'latin1':
    case 'ascii':
      return buffer.toString('latin1');
    default:
      try {
        return new TextDecoder(charset.decoder, { fatal: true }).decode(buffer);
      } catch (cause) {
        throw new Hl7ParseError(
          Hl7ErrorCode.DataTypeError,
          `the message bytes are not valid ${charset.name} (MSH-18)`,
          { location: 'MSH-18', cause },
        );
      }
  }
}

/** MSH-18 read from the raw bytes: the header is ASCII in every charset of table 0211 we accept. */
export function readCharsetField(bytes: Uint8Array): string {
  let end = bytes.indexOf(0x0d);
  const lf = bytes.indexOf(0x0a);
  if (end < 0 || (lf >= 0 && lf < end)) end = lf;
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, end < 0 ? bytes.byteLength : end).toString('latin1');
  const start = header.indexOf('MSH');
  if (start < 0 || header.length < start + 4) return '';
  const fieldSeparator = header.charAt(start + 3);
  // 'MSH', MSH-2, MSH-3 … : MSH-n is at index n-1 after splitting on the field separator.
  const msh18 = header.slice(start).split(fieldSeparator)[17] ?? '';
  const encodingChars = header.slice(start).split(fieldSeparator)[1] ?? '';
  // First repetition, first component: v2.5 allows a second repetition naming an alternate set (ISO 2022).
  const repetition = encodingChars.charAt(1);
  const component = encodingChars.charAt(0);
  let value = msh18;
  if (repetition) value = value.split(repetition)[0] ?? '';
  if (component) value = value.split(component)[0] ?? '';
  return value;
}

/** Decodes the bytes of one message following its MSH-18. */
export function decodeHl7Bytes(bytes: Uint8Array): { text: string; charset: Hl7Charset } {
  const charset = resolveHl7Charset(readCharsetField(bytes));
  return { text: decodeWithCharset(bytes, charset), charset };
}

/**
 * Encodes message text for the wire in the charset MSH-18 names. UTF-8 (and an empty MSH-18) → UTF-8;
 * ISO 8859-1 → its bytes. Node has no encoder for the other legacy charsets: their ASCII subset is sent
 * as is and any other character becomes '?', which is enough for the ACKs we send back in them.
 */
export function encodeHl7Text(text: string, msh18: string): Buffer {
  const { decoder } = resolveHl7Charset(msh18);
  if (decoder === 'utf-8' || decoder === 'auto') return Buffer.from(text, 'utf8');
  if (decoder === 'latin1') return Buffer.from(text.replace(/[^\u0000-\u00ff]/g, '?'), 'latin1');
  return Buffer.from(text.replace(/[^\u0000-\u007f]/g, '?'), 'latin1');
}
