import { Hl7ErrorCode, Hl7ParseError } from './hl7-error';

/**
 * The message delimiters (HL7 v2.5 §2.5.4 / v2.8 §2.5.4): MSH-1 is the field separator, MSH-2 the encoding
 * characters in the order component, repetition, escape, subcomponent and — from v2.7 — truncation.
 * A sender may omit the escape and subcomponent characters (v2.5 §2.5.4 "receivers should be made aware
 * that … the sender may omit"); an omitted delimiter is ''.
 */
export interface Hl7Delimiters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
  readonly truncation: string;
}

/** The recommended delimiters `|^~\&` (v2.5 Figure 2-1); v2.7+ adds `#` for truncation when a sender uses it. */
export const defaultDelimiters: Hl7Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
  truncation: '',
});

/** MSH-2 for these delimiters. */
export const encodingCharacters = (d: Hl7Delimiters): string =>
  d.component + d.repetition + d.escape + d.subcomponent + d.truncation;

// v2.5 §2.5.4: a delimiter is a single printable, non-alphanumeric character; segment terminators
// (CR, and the LF we tolerate) and blanks cannot be one.
const isValidDelimiter = (c: string): boolean => c.length === 1 && /[\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]/.test(c);

/**
 * Reads MSH-1 and MSH-2 from the first segment of a message (`MSH|^~\&|…`). Throws Hl7ParseError 102 at
 * MSH-1 or MSH-2 when a delimiter is missing, repeated or not a printable non-alphanumeric character.
 */
export function readDelimiters(header: string): Hl7Delimiters {
  const field = header.charAt(3);
  if (!isValidDelimiter(field)) {
    throw new Hl7ParseError(Hl7ErrorCode.DataTypeError, 'MSH-1 (field separator) is not a valid delimiter', {
      location: 'MSH-1',
    });
  }
  let end = header.indexOf(field, 4);
  if (end < 0) end = header.length;
  const chars = header.slice(4, end);
  // Two characters at least (component, repetition); five at most (v2.7 adds truncation).
  if (chars.length < 2 || chars.length > 5) {
    throw new Hl7ParseError(
      Hl7ErrorCode.DataTypeError,
      `MSH-2 (encoding characters) must have 2 to 5 characters, found ${chars.length}`,
      { location: 'MSH-2' },
    );
  }
  const all = [field, ...chars];
  if (!all.every(isValidDelimiter) || new Set(all).size !== all.length) {
    throw new Hl7ParseError(
      Hl7ErrorCode.DataTypeError,
      'MSH-2 (encoding characters) holds a repeated or invalid delimiter',
      { location: 'MSH-2' },
    );
  }
  return {
    field,
    component: chars.charAt(0),
    repetition: chars.charAt(1),
    escape: chars.charAt(2),
    subcomponent: chars.charAt(3),
    truncation: chars.charAt(4),
  };
}
