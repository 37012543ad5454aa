import { Tag, type DicomJsonDataset, type PersonNameJson } from '@pacs/dicom';
import { HL7_NULL, type Hl7Segment } from './hl7-message';

/**
 * A value read from HL7 for an update: undefined when the field was not sent (keep what is stored),
 * null when it was sent as the HL7 null "" (delete it, v2.5 §2.5.3), else the value.
 */
export type Hl7Update<T> = T | null | undefined;

/** Reads one decoded value as an update: '' → undefined, '""' → null. */
export function updateOf(
  segment: Hl7Segment | undefined,
  field: number,
  rep = 1,
  comp = 1,
  sub = 1,
): Hl7Update<string> {
  if (!segment) return undefined;
  if (segment.raw(field) === HL7_NULL) return null;
  const v = segment.value(field, rep, comp, sub).trim();
  if (v === '' || v === HL7_NULL) return undefined;
  return v;
}

/** Adds an attribute for an update value: undefined → left out, null → present and empty. */
export function putAttribute(ds: DicomJsonDataset, tag: string, vr: string, value: Hl7Update<string>): void {
  if (value === undefined || value === '') return;
  if (value === null) ds[tag] = { vr };
  else if (vr === 'PN') ds[tag] = { vr, Value: [personNameJson(value)] };
  else ds[tag] = { vr, Value: [value] };
}

/** A PN string with '=' groups as its DICOM JSON object (PS3.18 F.2.2). */
export function personNameJson(pn: string): PersonNameJson {
  const [alphabetic = '', ideographic = '', phonetic = ''] = pn.split('=');
  const out: PersonNameJson = {};
  if (alphabetic) out.Alphabetic = alphabetic;
  if (ideographic) out.Ideographic = ideographic;
  if (phonetic) out.Phonetic = phonetic;
  return out;
}

/** Adds a sequence attribute with one item, unless the item is empty. */
export function putSequence(ds: DicomJsonDataset, tag: string, item: DicomJsonDataset): void {
  if (Object.keys(item).length > 0) ds[tag] = { vr: 'SQ', Value: [item] };
}

// PS3.5 6.2: '^' separates PN components, '=' component groups and '\' values; none may stand in a part.
const pnPart = (s: string | undefined): string => (s ?? '').replace(/[\\^=]/g, ' ').trim();

/** Joins DICOM PN components, dropping trailing empty ones (PS3.5 6.2.1.1). */
export function joinPersonName(parts: readonly (string | undefined)[]): string {
  const clean = parts.map(pnPart);
  while (clean.length > 0 && clean[clean.length - 1] === '') clean.pop();
  return clean.join('^');
}

/**
 * XPN (v2.5 §2.A.88: family ^ given ^ second given ^ suffix ^ prefix ^ degree ^ type …) to the DICOM PN
 * order family ^ given ^ middle ^ prefix ^ suffix (PS3.5 6.2). The degree (XPN.6) joins the suffix, which
 * PS3.5 defines as "suffix, e.g. Jr., III" and where degrees such as "MD" are customarily put. XPN.1 is an
 * FN whose first subcomponent is the surname.
 */
export function xpnToPersonName(xpn: readonly string[]): string {
  const [family, given, middle, suffix, prefix, degree] = xpn;
  const fullSuffix = [suffix, degree]
    .map((s) => (s ?? '').trim())
    .filter(Boolean)
    .join(' ');
  return joinPersonName([family, given, middle, prefix, fullSuffix]);
}

/**
 * XCN (v2.5 §2.A.87: id ^ family ^ given ^ second given ^ suffix ^ prefix ^ degree …) to DICOM PN; the
 * id is dropped. Also reads CNN (the subcomponents of OBR-32..35, same order).
 */
export function xcnToPersonName(xcn: readonly string[]): string {
  const [, family, given, middle, suffix, prefix, degree] = xcn;
  return xpnToPersonName([family ?? '', given ?? '', middle ?? '', suffix ?? '', prefix ?? '', degree ?? '']);
}

/** The decoded components of a repetition, each read with all its subcomponents at their first. */
export function componentsOf(segment: Hl7Segment | undefined, field: number, rep = 1): string[] {
  return segment ? segment.components(field, rep) : [];
}

/**
 * HL7 DTM/TS (YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]) to DICOM DA (YYYYMMDD, PS3.5 6.2). DA needs a
 * whole date; a value with only a year or month gives undefined.
 */
export function hl7ToDicomDate(ts: string): string | undefined {
  const m = /^(\d{8})/.exec(ts.trim());
  if (!m) return undefined;
  const date = m[1] as string;
  const [month, day] = [Number(date.slice(4, 6)), Number(date.slice(6, 8))];
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? date : undefined;
}

/** The time part of an HL7 DTM as DICOM TM (HHMM[SS[.F…]]), or undefined when the value has none. */
export function hl7ToDicomTime(ts: string): string | undefined {
  const m = /^\d{8}(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)/.exec(ts.trim());
  return m ? m[1] : undefined;
}

/**
 * HL7 DTM to DICOM DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX, PS3.5 6.2): the two forms coincide, except that DT
 * allows six fraction digits and HL7 four. Anything else gives undefined.
 */
export function hl7ToDicomDateTime(ts: string): string | undefined {
  const v = ts.trim();
  return /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/.test(v) ? v : undefined;
}

/**
 * HL7 table 0001 (administrative sex) to DICOM Patient's Sex (0010,0040), enumerated M, F, O (PS3.3
 * C.7.1.1): F→F, M→M; O (other), A (ambiguous), N (not applicable), X (non-binary, v2.9) → O;
 * U (unknown) → empty, which is how DICOM says "unknown" for a type 2 attribute.
 */
export function hl7SexToDicom(sex: string): 'M' | 'F' | 'O' | '' {
  switch (sex.trim().toUpperCase()) {
    case 'M':
      return 'M';
    case 'F':
      return 'F';
    case 'O':
    case 'A':
    case 'N':
    case 'X':
      return 'O';
    default:
      return '';
  }
}

/** A code from an HL7 CE/CWE (identifier ^ text ^ coding system) as a DICOM code item (PS3.3 8.8). */
export function codeItem(code: string, meaning: string, scheme: string): DicomJsonDataset {
  const item: DicomJsonDataset = {};
  putAttribute(item, Tag.CodeValue, 'SH', code || undefined);
  putAttribute(item, Tag.CodingSchemeDesignator, 'SH', scheme || undefined);
  putAttribute(item, Tag.CodeMeaning, 'LO', meaning || undefined);
  return item;
}
