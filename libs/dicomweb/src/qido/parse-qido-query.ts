// QIDO-RS query parameters (PS3.18 §8.3.4, §10.6.1) and the matching they ask for (PS3.4 §C.2.2.2).
//
//   search        = match / fuzzymatching / includefield / limit / offset
//                   / emptyvaluematching / multiplevaluematching              (PS3.18 Table 8.3.4-1)
//   match         = normal-match / uid-list-match
//   uid-list-match = 1*("&" attribute "=" 1#value)
//   attribute     = (attribute-id) *("." attribute-id)
//   attribute-id  = tag *("." tag) / keyword *("." keyword)     tag = 8HEXDIG
//
// Matching semantics we implement (and state in the conformance statement):
// - Single Value Matching (C.2.2.2.1) is case-sensitive, except for PN, which is matched case-insensitively
//   (C.2.2.2.1 lets PN matching be insensitive to case): `caseInsensitive` says so on the match.
// - Wild Card Matching (C.2.2.2.4) for AE, CS, LO, LT, PN, SH, ST, UC, UR, UT: "*" any sequence, "?" one
//   character; a value of only "*" is Universal Matching.
// - List of UID Matching (C.2.2.2.2): UIDs separated by "," (PS3.18 1#value) or "\" (the DICOM separator);
//   a repeated UI key adds to the list (PS3.18: a key is unique unless it allows UID list matching).
// - Range Matching (C.2.2.2.5) for DA, TM, DT: "a-b", "a-", "-b", a <= b; a single DA/TM/DT value is
//   the range of its precision. DT bounds keep their UTC offset. When a date key and its time key are both
//   given (StudyDate and StudyTime, …), they become one date-time range (C.2.2.2.5.1 combined matching):
//   StudyDate=20240101-20240102&StudyTime=2200-0200 is 2024-01-01 22:00 to 2024-01-02 02:00.
// - Sequence Matching (C.2.2.2.6): `Seq.Key=value`; keys under one sequence must match in the same item.
// - fuzzymatching=true (PS3.18 §8.3.4.2) asks for fuzzy semantic matching of PN: the index matches each
//   query name word, case- and accent-insensitively, as the start of any word of the stored name.
// - Multiple Value Matching: a "\" inside the value of a short string key (AE, CS, LO, PN, SH, UC) separates
//   values, any of which may match ("ModalitiesInStudy=CT\MR"); multiplevaluematching=false refuses it (400).
//   Dates, times and numbers take one value; LT, ST, UT and UR may hold "\" as text.
// - TimezoneOffsetFromUTC=+HHMM (or -HHMM) is not matched: it gives the offset the query's dates and times are
//   in (PS3.4 §C.2.2.2: "may be present in the Identifier but is not matched"), see timezoneOffsetMinutes.
import { lookupKeyword, lookupTag, Tag } from '@pacs/dicom';
import { DicomwebError } from '../errors/dicomweb-error';
import { isUid } from '../media/media-types';
import { daSpan, dtInstant, dtSpan, tmSpan, type Span } from './date-time';

export type QidoLevel = 'study' | 'series' | 'instance';

interface MatchBase {
  /** The attribute's tag, DICOM JSON form ('0020000D'). */
  readonly tag: string;
  /** Its PS3.6 keyword ('' for a private tag). */
  readonly keyword: string;
  /** Its VR (the first one PS3.6 allows, e.g. 'US' for 'US|SS'). */
  readonly vr: string;
}

/** Universal Matching (C.2.2.2.3): no condition, the attribute is returned. */
export interface UniversalMatch extends MatchBase {
  readonly kind: 'universal';
}

/** Single Value Matching (C.2.2.2.1). */
export interface SingleMatch extends MatchBase {
  readonly kind: 'single';
  readonly value: string;
  /** PN: compare without regard to case. */
  readonly caseInsensitive: boolean;
}

/** Wild Card Matching (C.2.2.2.4). */
export interface WildcardMatch extends MatchBase {
  readonly kind: 'wildcard';
  /** The value as given, with "*" and "?". */
  readonly pattern: string;
  /** The same as an SQL LIKE pattern with escape character "\": "%", "_" and "\" of the value escaped. */
  readonly like: string;
  readonly caseInsensitive: boolean;
}

/** Range Matching (C.2.2.2.5), also for single DA/TM/DT values. Bounds are inclusive. */
export interface RangeMatch extends MatchBase {
  readonly kind: 'range';
  readonly vr: 'DA' | 'TM' | 'DT';
  /** DA 'YYYYMMDD', TM 'HHMMSS.FFFFFF', DT 'YYYYMMDDHHMMSS.FFFFFF'; absent: open. */
  readonly from?: string;
  readonly to?: string;
  /** DT: the UTC offset a bound was given with, in minutes; absent: local time of the data. */
  readonly fromOffsetMinutes?: number;
  readonly toOffsetMinutes?: number;
  /**
   * Combined date-time matching: this DT range spans the date attribute (`tag`) and this time attribute
   * together; a stored instance matches on date + time.
   */
  readonly time?: { readonly tag: string; readonly keyword: string };
}

/** List of UID Matching (C.2.2.2.2). */
export interface UidListMatch extends MatchBase {
  readonly kind: 'uidList';
  readonly values: string[];
}

/** Multiple Value Matching: any of the values (each Single Value or Wild Card Matching) may match. */
export interface MultipleValueMatch extends MatchBase {
  readonly kind: 'multiple';
  readonly values: readonly (SingleMatch | WildcardMatch)[];
}

/** Sequence Matching (C.2.2.2.6): one item of the sequence must satisfy every match of `items`. */
export interface SequenceMatch extends MatchBase {
  readonly kind: 'sequence';
  readonly items: QidoMatch[];
}

export type QidoMatch =
  | UniversalMatch
  | SingleMatch
  | WildcardMatch
  | RangeMatch
  | UidListMatch
  | MultipleValueMatch
  | SequenceMatch;

export interface QidoQuery {
  readonly level: QidoLevel;
  readonly matches: readonly QidoMatch[];
  /** Tags of includefield (top-level: a nested attribute includes its sequence), or 'all'. */
  readonly includeFields: readonly string[] | 'all';
  readonly fuzzyMatching: boolean;
  /** emptyvaluematching=true (PS3.18 §8.3.4.5): entities without a value also match a non-universal key. */
  readonly emptyValueMatching: boolean;
  /**
   * TimezoneOffsetFromUTC of the query in minutes (-720 … +840), when given: the dates and times of its keys
   * are in that offset (PS3.4 §C.2.2.2.1.3, §C.2.2.2.5.2).
   */
  readonly timezoneOffsetMinutes?: number;
  readonly limit: number;
  readonly offset: number;
  /** The requested limit was above `maxLimit` and was lowered to it (the response carries a Warning). */
  readonly limitClamped: boolean;
}

export interface QidoQueryOptions {
  /** Limit when the request gives none (PS3.18 §8.3.4.4.1: the origin server chooses). */
  defaultLimit: number;
  /** Largest limit; a larger one is lowered to this. */
  maxLimit: number;
  /** Longest query value accepted (400 beyond); default 4096. */
  maxValueLength?: number;
  /**
   * Private attributes that may be matching keys (declared extended query tags), with their VR: other private
   * attributes may only be asked for with includefield.
   */
  privateKeys?: ReadonlyMap<string, string>;
}

/** PS3.18 §8.3.3 content negotiation parameters: valid on a search, handled by negotiation, not here. */
const negotiationParameters = new Set(['accept', 'charset']);

const wildcardVrs = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
/** Texts whose values may contain "\" (PS3.5 §6.2: LT, ST, UT, UR are single-valued). */
const backslashTextVrs = new Set(['LT', 'ST', 'UT', 'UR']);
const binaryVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const numericPatterns: Readonly<Record<string, RegExp>> = {
  IS: /^[+-]?\d{1,12}$/,
  DS: /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/,
  US: /^\d{1,5}$/,
  SS: /^[+-]?\d{1,5}$/,
  UL: /^\d{1,10}$/,
  SL: /^[+-]?\d{1,10}$/,
  UV: /^\d{1,20}$/,
  SV: /^[+-]?\d{1,19}$/,
  FL: /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/,
  FD: /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/,
  AT: /^[0-9A-Fa-f]{8}$/,
};
/** C0 controls and DEL have no place in a query value (ESC sequences are not used in URLs: UTF-8). */
const controlChar = /[\x00-\x1f\x7f]/;

/** Date and time attributes that form one date-time for combined matching (PS3.4 C.2.2.2.5.1). */
const dateTimePairs: readonly (readonly [date: string, time: string])[] = [
  [Tag.StudyDate, Tag.StudyTime],
  [Tag.SeriesDate, Tag.SeriesTime],
  [Tag.AcquisitionDate, Tag.AcquisitionTime],
  [Tag.ContentDate, Tag.ContentTime],
  [Tag.InstanceCreationDate, Tag.InstanceCreationTime],
  [Tag.PerformedProcedureStepStartDate, Tag.PerformedProcedureStepStartTime],
  [Tag.ScheduledProcedureStepStartDate, Tag.ScheduledProcedureStepStartTime],
  [Tag.PatientBirthDate, Tag.PatientBirthTime],
];

const bad = (message: string): DicomwebError => new DicomwebError('BadRequest', message);

/** Quotes a request value for an error message: bounded, printable. */
const shown = (value: string): string => {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 64 ? `${clean.slice(0, 61)}...` : clean);
};

interface Attribute {
  tag: string;
  keyword: string;
  vr: string;
}

/** One attribute-id: an 8-hex tag (any case) or a PS3.6 keyword (exact case). */
function attributeOf(
  id: string,
  key: string,
  allowPrivate: boolean,
  privateKeys?: ReadonlyMap<string, string>,
): Attribute {
  if (/^[0-9A-Fa-f]{8}$/.test(id)) {
    const tag = id.toUpperCase();
    const isPrivate = (parseInt(tag.slice(3, 4), 16) & 1) === 1;
    const declared = isPrivate ? privateKeys?.get(tag) : undefined;
    if (declared !== undefined) return { tag, keyword: '', vr: declared };
    if (isPrivate && !allowPrivate) throw bad(`Private attribute ${shown(id)} cannot be matched`);
    const entry = lookupTag(tag);
    if (entry) return { tag, keyword: entry.keyword, vr: entry.vr.split('|')[0] ?? '' };
    // PS3.18 §10.6.3.3: a private data element may be asked for with includefield.
    if (isPrivate) return { tag, keyword: '', vr: 'UN' };
    throw bad(`Unknown attribute ${shown(id)} in query parameter ${shown(key)}`);
  }
  const entry = /^[A-Za-z][A-Za-z0-9]*$/.test(id) ? lookupKeyword(id) : undefined;
  if (!entry || !entry.tag.match(/^[0-9A-F]{8}$/)) {
    throw bad(`Unknown attribute or query parameter ${shown(key)}`);
  }
  return { tag: entry.tag, keyword: entry.keyword, vr: entry.vr.split('|')[0] ?? '' };
}

/** A dotted attribute path: every element but the last is a sequence. */
function pathOf(key: string, allowPrivate: boolean, privateKeys?: ReadonlyMap<string, string>): Attribute[] {
  const ids = key.split('.');
  if (ids.some((id) => id === '')) throw bad(`Malformed attribute path ${shown(key)}`);
  const path = ids.map((id) => attributeOf(id, key, allowPrivate, privateKeys));
  for (const step of path.slice(0, -1)) {
    if (step.vr !== 'SQ') throw bad(`${step.keyword || step.tag} in ${shown(key)} is not a sequence`);
  }
  return path;
}

const valuesOf = (raw: string | readonly string[] | undefined): string[] =>
  raw === undefined ? [] : typeof raw === 'string' ? [raw] : [...raw];

const likeOf = (pattern: string): string =>
  pattern
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');

/** Splits "a-b" into its bounds; DT values may hold a "-" of a negative UTC offset, so every "-" is tried. */
function rangeBounds(
  value: string,
  span: (v: string) => Span | undefined,
): [Span | undefined, Span | undefined] | undefined {
  const whole = span(value);
  if (whole) return [whole, whole];
  let found: [Span | undefined, Span | undefined] | undefined;
  for (let i = value.indexOf('-'); i >= 0; i = value.indexOf('-', i + 1)) {
    const left = value.slice(0, i).trim();
    const right = value.slice(i + 1).trim();
    if (left === '' && right === '') continue;
    const a = left === '' ? undefined : span(left);
    const b = right === '' ? undefined : span(right);
    if ((left !== '' && !a) || (right !== '' && !b)) continue;
    if (found) return undefined; // two readings: ambiguous
    found = [a, b];
  }
  return found;
}

/**
 * PS3.4 C.2.2.2.5: "<date1> - <date2>, where <date1> is less or equal to <date2>"; a time range does not
 * cross midnight. A time range is checked after combined matching, which may join it to a date range.
 */
function inOrder(match: RangeMatch): boolean {
  if (match.from === undefined || match.to === undefined) return true;
  if (match.vr === 'DT' && match.fromOffsetMinutes !== match.toOffsetMinutes) {
    return dtInstant(match.from, match.fromOffsetMinutes) <= dtInstant(match.to, match.toOffsetMinutes);
  }
  return match.from <= match.to;
}

function rangeMatch(attr: Attribute, value: string, key: string): RangeMatch {
  const vr = attr.vr as RangeMatch['vr'];
  const span = vr === 'DA' ? daSpan : vr === 'TM' ? tmSpan : dtSpan;
  // The longest valid value is a DT range with offsets and spaces (~60 characters); refusing longer ones
  // keeps the split search below cheap.
  const bounds = value.length <= 80 ? rangeBounds(value, span) : undefined;
  const what =
    vr === 'DA' ? 'date (YYYYMMDD)' : vr === 'TM' ? 'time (HHMMSS.FFFFFF)' : 'date-time (YYYYMMDDHHMMSS.FFFFFF&ZZXX)';
  if (!bounds) throw bad(`${shown(value)} is not a ${what} or a range of them, for ${shown(key)}`);
  const [a, b] = bounds;
  const match: RangeMatch = {
    kind: 'range',
    tag: attr.tag,
    keyword: attr.keyword,
    vr,
    ...(a ? { from: a.lower } : {}),
    ...(b ? { to: b.upper } : {}),
    ...(a?.offsetMinutes !== undefined ? { fromOffsetMinutes: a.offsetMinutes } : {}),
    ...(b?.offsetMinutes !== undefined ? { toOffsetMinutes: b.offsetMinutes } : {}),
  };
  if (vr !== 'TM' && !inOrder(match)) throw bad(`The range ${shown(value)} of ${shown(key)} ends before it starts`);
  return match;
}

/** Time ranges left after combined matching must not cross midnight (PS3.4 C.2.2.2.5). */
function checkTimeRanges(matches: readonly QidoMatch[]): void {
  for (const m of matches) {
    if (m.kind === 'sequence') checkTimeRanges(m.items);
    else if (m.kind === 'range' && m.vr === 'TM' && !inOrder(m)) {
      throw bad(`The time range of ${m.keyword || m.tag} ends before it starts (ranges do not cross midnight)`);
    }
  }
}

/** Short strings, whose values cannot hold "\": there it separates values (Multiple Value Matching). */
const multiValueVrs = new Set(['AE', 'CS', 'LO', 'PN', 'SH', 'UC']);

/** One value of a string key: Single Value or Wild Card Matching, or Universal Matching for "*". */
function stringMatch(base: Attribute, value: string): UniversalMatch | SingleMatch | WildcardMatch {
  const caseInsensitive = base.vr === 'PN';
  if (wildcardVrs.has(base.vr) && /[*?]/.test(value)) {
    if (/^\*+$/.test(value)) return { kind: 'universal', ...base };
    return { kind: 'wildcard', ...base, pattern: value, like: likeOf(value), caseInsensitive };
  }
  return { kind: 'single', ...base, value, caseInsensitive };
}

/** The match a (leaf) attribute and its values ask for. Several values only for UI (a UID list). */
function leafMatch(
  attr: Attribute,
  values: readonly string[],
  key: string,
  maxLength: number,
  multipleValueMatching: boolean,
): QidoMatch {
  const base = { tag: attr.tag, keyword: attr.keyword, vr: attr.vr };
  for (const value of values) {
    if (value.length > maxLength) throw bad(`The value of ${shown(key)} is longer than ${maxLength} characters`);
    if (controlChar.test(value)) throw bad(`The value of ${shown(key)} contains a control character`);
  }
  if (attr.vr === 'UI') {
    const uids = [...new Set(values.flatMap((v) => (v === '' ? [] : v.split(/[,\\]/).map((u) => u.trim()))))];
    if (uids.length === 0) return { kind: 'universal', ...base };
    const invalid = uids.find((u) => !isUid(u));
    if (invalid !== undefined) throw bad(`${shown(invalid)} is not a valid UID (PS3.5 §9.1), for ${shown(key)}`);
    return uids.length === 1
      ? { kind: 'single', ...base, value: uids[0]!, caseInsensitive: false }
      : { kind: 'uidList', ...base, values: uids };
  }
  if (values.length > 1) throw bad(`Query parameter ${shown(key)} is given more than once`);
  const value = values[0] ?? '';
  if (value === '') return { kind: 'universal', ...base };
  if (attr.vr === 'SQ') throw bad(`${shown(key)} is a sequence: match on its attributes (${key}.Keyword=value)`);
  if (binaryVrs.has(attr.vr)) throw bad(`${shown(key)} has VR ${attr.vr}, which cannot be matched`);
  if (attr.vr === 'DA' || attr.vr === 'TM' || attr.vr === 'DT') return rangeMatch(attr, value, key);
  const numeric = numericPatterns[attr.vr];
  if (numeric) {
    if (!numeric.test(value.trim())) throw bad(`${shown(value)} is not a valid ${attr.vr} value, for ${shown(key)}`);
    return {
      kind: 'single',
      ...base,
      value: attr.vr === 'AT' ? value.toUpperCase() : value.trim(),
      caseInsensitive: false,
    };
  }
  if (value.includes('\\') && !backslashTextVrs.has(attr.vr)) {
    if (!multiValueVrs.has(attr.vr)) {
      throw bad(`${shown(key)} has VR ${attr.vr}, which takes one value: "\\" cannot separate values`);
    }
    if (!multipleValueMatching) {
      throw bad(`Multiple Value Matching ("\\" in ${shown(key)}) was turned off by multiplevaluematching=false`);
    }
    const parts = [...new Set(value.split('\\').filter((v) => v !== ''))].map((v) => stringMatch(base, v));
    if (parts.length === 0 || parts.some((m) => m.kind === 'universal')) return { kind: 'universal', ...base };
    const matches = parts as (SingleMatch | WildcardMatch)[];
    return matches.length === 1 ? matches[0]! : { kind: 'multiple', ...base, values: matches };
  }
  return stringMatch(base, value);
}

/** PS3.3 §C.12.1.1.8: TimezoneOffsetFromUTC is "&ZZXX", -1200 to +1400. A "+" sent unencoded reads as a space. */
function timezoneOffsetOf(values: readonly string[], key: string): number | undefined {
  if (values.length > 1) throw bad(`Query parameter ${shown(key)} is given more than once`);
  const value = (values[0] ?? '').replace(/^ /, '+');
  if (value === '') return undefined;
  const m = /^([+-])(\d{2})([0-5]\d)$/.exec(value);
  const minutes = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : NaN;
  if (!(minutes >= -720 && minutes <= 840)) {
    throw bad(`${shown(value)} is not a UTC offset (+HHMM or -HHMM, from -1200 to +1400), for ${shown(key)}`);
  }
  return minutes;
}

/** Adds `match` under `path` (outer sequences first) to `into`, merging keys of one sequence into one item. */
function addMatch(into: QidoMatch[], path: readonly Attribute[], match: QidoMatch, key: string): void {
  const [outer, ...rest] = path;
  if (!outer) {
    if (into.some((m) => m.tag === match.tag)) throw bad(`Attribute of ${shown(key)} is given more than once`);
    into.push(match);
    return;
  }
  let seq = into.find((m): m is SequenceMatch => m.tag === outer.tag);
  if (seq && seq.kind !== 'sequence') throw bad(`Attribute ${outer.keyword || outer.tag} is given more than once`);
  if (!seq) {
    seq = { kind: 'sequence', tag: outer.tag, keyword: outer.keyword, vr: 'SQ', items: [] };
    into.push(seq);
  }
  addMatch(seq.items, rest, match, key);
}

/** PS3.4 C.2.2.2.5.1: a date key and its time key, both single or ranges, become one date-time range. */
function combineDateTime(matches: QidoMatch[]): QidoMatch[] {
  let out = matches;
  for (const [dateTag, timeTag] of dateTimePairs) {
    const date = out.find((m): m is RangeMatch => m.tag === dateTag && m.kind === 'range');
    const time = out.find((m): m is RangeMatch => m.tag === timeTag && m.kind === 'range');
    if (!date || !time) continue;
    const combined: RangeMatch = {
      kind: 'range',
      tag: date.tag,
      keyword: date.keyword,
      vr: 'DT',
      ...(date.from !== undefined ? { from: `${date.from}${time.from ?? '000000.000000'}` } : {}),
      ...(date.to !== undefined ? { to: `${date.to}${time.to ?? '235959.999999'}` } : {}),
      time: { tag: time.tag, keyword: time.keyword },
    };
    if (!inOrder(combined))
      throw bad(`The date-time range of ${date.keyword} and ${time.keyword} ends before it starts`);
    out = out.filter((m) => m !== date && m !== time);
    out.push(combined);
  }
  return out;
}

function booleanParameter(name: string, values: readonly string[]): boolean {
  if (values.length !== 1) throw bad(`Query parameter ${shown(name)} is given more than once`);
  const value = values[0]!.toLowerCase();
  if (value !== 'true' && value !== 'false') throw bad(`${shown(name)} must be true or false`);
  return value === 'true';
}

function integerParameter(name: string, values: readonly string[], min: number): number {
  if (values.length !== 1) throw bad(`Query parameter ${shown(name)} is given more than once`);
  const value = values[0]!.trim();
  if (!/^\d{1,15}$/.test(value) || Number(value) < min) {
    throw bad(`${shown(name)} must be an integer of at least ${min}, not ${shown(value)}`);
  }
  return Number(value);
}

/**
 * Parses and validates the query of a QIDO-RS search at `level`. Keys are keywords (as PS3.6 spells them)
 * or 8-hex tags (any case), dotted for sequences; `includefield` takes a comma list, may be repeated, or
 * is 'all'. A limit above `maxLimit` is lowered (limitClamped); a limit under 1, a negative or
 * non-integer offset, an unknown keyword or tag, a value invalid for its VR or longer than
 * `maxValueLength`, and any other parameter are a 400.
 * @throws DicomwebError('BadRequest')
 */
export function parseQidoQuery(
  level: QidoLevel,
  query: Readonly<Record<string, string | readonly string[] | undefined>>,
  options: QidoQueryOptions,
): QidoQuery {
  const maxLength = options.maxValueLength ?? 4096;
  let matches: QidoMatch[] = [];
  const include = new Set<string>();
  let includeAll = false;
  let fuzzyMatching = false;
  let emptyValueMatching = false;
  let multipleValueMatching = true;
  let timezoneOffsetMinutes: number | undefined;
  let limit: number | undefined;
  let offset = 0;

  // Keys naming the same attribute ('StudyInstanceUID' and '0020000D') are gathered first, so that UID
  // lists can combine and other attributes given twice are refused.
  const byAttribute = new Map<string, { key: string; path: Attribute[]; values: string[] }>();
  for (const [key, raw] of Object.entries(query)) {
    const values = valuesOf(raw);
    switch (key.toLowerCase()) {
      case 'limit':
        limit = integerParameter(key, values, 1);
        continue;
      case 'offset':
        offset = integerParameter(key, values, 0);
        continue;
      case 'fuzzymatching':
        fuzzyMatching = booleanParameter(key, values);
        continue;
      case 'emptyvaluematching':
        emptyValueMatching = booleanParameter(key, values);
        continue;
      case 'multiplevaluematching':
        multipleValueMatching = booleanParameter(key, values);
        continue;
      case 'includefield':
        for (const item of values.flatMap((v) => v.split(','))) {
          const id = item.trim();
          if (id === '') continue;
          if (id.toLowerCase() === 'all') includeAll = true;
          else include.add(pathOf(id, true)[0]!.tag);
        }
        continue;
    }
    if (negotiationParameters.has(key.toLowerCase())) continue;
    const path = pathOf(key, false, options.privateKeys);
    const id = path.map((a) => a.tag).join('.');
    if (id === Tag.TimezoneOffsetFromUTC) {
      timezoneOffsetMinutes = timezoneOffsetOf(values, key);
      if (timezoneOffsetMinutes !== undefined) continue;
    }
    const seen = byAttribute.get(id);
    if (seen) seen.values.push(...values);
    else byAttribute.set(id, { key, path, values });
  }

  for (const { key, path, values } of byAttribute.values()) {
    const leaf = path[path.length - 1]!;
    addMatch(matches, path.slice(0, -1), leafMatch(leaf, values, key, maxLength, multipleValueMatching), key);
  }
  matches = combineDateTime(matches);
  checkTimeRanges(matches);

  const requested = limit ?? options.defaultLimit;
  return {
    level,
    matches,
    includeFields: includeAll ? 'all' : [...include],
    fuzzyMatching,
    emptyValueMatching,
    ...(timezoneOffsetMinutes !== undefined ? { timezoneOffsetMinutes } : {}),
    limit: Math.min(requested, options.maxLimit),
    offset,
    limitClamped: requested > options.maxLimit,
  };
}
