import { randomBytes } from 'node:crypto';
import { defaultDelimiters, encodingCharacters, type Hl7Delimiters } from './delimiters';
import { escapeHl7 } from './escape';

/**
 * A value to write, as plain (unescaped) text; the builder escapes it.
 * - a string is one primitive value;
 * - an array is the components of one repetition; a component that is itself an array holds subcomponents;
 * - `{ repeat: [...] }` holds the repetitions of a field;
 * - `{ encoded: '...' }` is written as is (already in ER7 form, e.g. a field copied from another message);
 * - null / undefined / '' leave the field empty. Write HL7_NULL ('""') to tell a receiver to delete a value.
 */
export type Hl7Component = string | null | undefined | readonly (string | null | undefined)[];
export type Hl7Repetition = string | null | undefined | readonly Hl7Component[];
export type Hl7FieldValue =
  | Hl7Repetition
  | { readonly repeat: readonly Hl7Repetition[] }
  | { readonly encoded: string };

/** A segment to build: its ID and its fields from field 1 on (an array) or by number (a record). */
export interface Hl7SegmentInput {
  readonly name: string;
  readonly fields: readonly Hl7FieldValue[] | Readonly<Record<number, Hl7FieldValue>>;
}

/** The MSH fields a sender chooses (v2.5 §2.14.9); MSH-1/MSH-2 come from the delimiters. */
export interface Hl7HeaderInput {
  readonly sendingApplication?: Hl7FieldValue;
  readonly sendingFacility?: Hl7FieldValue;
  readonly receivingApplication?: Hl7FieldValue;
  readonly receivingFacility?: Hl7FieldValue;
  /** MSH-7; now when left out. */
  readonly dateTime?: Date | string;
  /** MSH-9, e.g. 'ORU^R01^ORU_R01' or ['ORU', 'R01', 'ORU_R01']. */
  readonly messageType: string | readonly string[];
  /** MSH-10; a fresh 20-character id when left out. */
  readonly controlId?: string;
  /** MSH-11; 'P' (production) by default. */
  readonly processingId?: Hl7FieldValue;
  /** MSH-12; '2.5.1' by default. */
  readonly version?: string;
  readonly acceptAckType?: string;
  readonly applicationAckType?: string;
  /** MSH-18 (HL7 table 0211), e.g. 'UNICODE UTF-8'. */
  readonly charset?: string;
}

export interface BuildHl7Input {
  readonly delimiters?: Hl7Delimiters;
  readonly header: Hl7HeaderInput;
  readonly segments: readonly Hl7SegmentInput[];
}

/**
 * HL7 DTM/TS (v2.5 §2.A.22): YYYYMMDDHHMMSS with the UTC offset, '+0000', so the instant is unambiguous.
 * A string is passed through (the caller already formatted it).
 */
export function formatHl7DateTime(value: Date | string): string {
  if (typeof value === 'string') return value;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(value.getUTCFullYear(), 4)}${p(value.getUTCMonth() + 1)}${p(value.getUTCDate())}` +
    `${p(value.getUTCHours())}${p(value.getUTCMinutes())}${p(value.getUTCSeconds())}+0000`
  );
}

/** A message control id (MSH-10, ST of at most 20 characters in v2.5): 20 random hex digits. */
export const newControlId = (): string => randomBytes(10).toString('hex').toUpperCase();

/** Encodes one field value (see Hl7FieldValue) with the given delimiters. */
export function encodeField(value: Hl7FieldValue, d: Hl7Delimiters): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return escapeHl7(value, d);
  if ('encoded' in value) return value.encoded;
  if ('repeat' in value) return value.repeat.map((r) => encodeRepetition(r, d)).join(d.repetition);
  return encodeRepetition(value as Hl7Repetition, d);
}

function encodeRepetition(value: Hl7Repetition, d: Hl7Delimiters): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return escapeHl7(value, d);
  return trimEmpty(
    value.map((c) => {
      if (c === null || c === undefined) return '';
      if (typeof c === 'string') return escapeHl7(c, d);
      return trimEmpty(
        c.map((s) => (s ? escapeHl7(s, d) : '')),
        d.subcomponent,
      );
    }),
    d.component,
  );
}

// v2.5 §2.5.3: trailing empty components/fields are left out together with their delimiters.
function trimEmpty(parts: string[], separator: string): string {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end).join(separator);
}

/** Encodes a segment: ID, then fields 1… (trailing empty fields dropped). */
export function buildSegment(segment: Hl7SegmentInput, d: Hl7Delimiters = defaultDelimiters): string {
  const values: string[] = [];
  if (Array.isArray(segment.fields)) {
    (segment.fields as readonly Hl7FieldValue[]).forEach((v, i) => (values[i] = encodeField(v, d)));
  } else {
    for (const [k, v] of Object.entries(segment.fields as Record<number, Hl7FieldValue>)) {
      const n = Number(k);
      if (!Number.isInteger(n) || n < 1) throw new TypeError(`invalid field number ${k} in ${segment.name}`);
      values[n - 1] = encodeField(v, d);
    }
  }
  const fields = Array.from(values, (v) => v ?? '');
  const body = trimEmpty(fields, d.field);
  return body === '' ? segment.name : `${segment.name}${d.field}${body}`;
}

/** Encodes an MSH segment from the header input. */
export function buildHeader(h: Hl7HeaderInput, d: Hl7Delimiters = defaultDelimiters): string {
  const messageType = typeof h.messageType === 'string' ? { encoded: h.messageType } : h.messageType;
  const fields: Record<number, Hl7FieldValue> = {
    3: h.sendingApplication,
    4: h.sendingFacility,
    5: h.receivingApplication,
    6: h.receivingFacility,
    7: formatHl7DateTime(h.dateTime ?? new Date()),
    9: messageType,
    10: h.controlId ?? newControlId(),
    11: h.processingId ?? 'P',
    12: h.version ?? '2.5.1',
    15: h.acceptAckType,
    16: h.applicationAckType,
    18: h.charset,
  };
  // MSH-1 and MSH-2 are written raw: the field separator then the encoding characters.
  const rest = buildSegment({ name: 'MSH', fields: fieldsFrom3(fields) }, d).slice(3);
  return `MSH${d.field}${encodingCharacters(d)}${rest}`;
}

// buildSegment numbers from field 1; MSH-3 must land after MSH-2, so shift by two.
function fieldsFrom3(fields: Record<number, Hl7FieldValue>): Record<number, Hl7FieldValue> {
  const out: Record<number, Hl7FieldValue> = {};
  for (const [k, v] of Object.entries(fields)) out[Number(k) - 2] = v;
  return out;
}

/** Builds a whole message: MSH from `header`, then `segments`, joined with CR (v2.5 §2.5.1). */
export function buildHl7(input: BuildHl7Input): string {
  const d = input.delimiters ?? defaultDelimiters;
  return [buildHeader(input.header, d), ...input.segments.map((s) => buildSegment(s, d))].join('\r');
}
