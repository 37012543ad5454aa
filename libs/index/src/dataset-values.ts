// Reading typed values out of a DICOM JSON data set (PS3.18 Annex F) for the index's columns.
import type { DicomJsonDataset, DicomJsonElement } from '@pacs/dicom';

export type { DicomJsonDataset, DicomJsonElement };

export function firstValue(ds: DicomJsonDataset, tag: string): unknown {
  return ds[tag]?.Value?.[0];
}

/** A string value ('' and absent give undefined); PN gives its Alphabetic component group. */
export function stringValue(ds: DicomJsonDataset, tag: string): string | undefined {
  const v = firstValue(ds, tag);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') {
    const alphabetic = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof alphabetic === 'string' && alphabetic !== '' ? alphabetic : undefined;
  }
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

export function stringValues(ds: DicomJsonDataset, tag: string): string[] {
  return (ds[tag]?.Value ?? []).filter((v): v is string => typeof v === 'string' && v !== '');
}

export function intValue(ds: DicomJsonDataset, tag: string): number | undefined {
  const v = firstValue(ds, tag);
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isInteger(n) && Math.abs(n) <= 2 ** 31 - 1 ? n : undefined;
}

export function sequenceItems(ds: DicomJsonDataset, tag: string): DicomJsonDataset[] {
  return (ds[tag]?.Value ?? []).filter((v): v is DicomJsonDataset => typeof v === 'object' && v !== null);
}

/** The component groups of a PN value (PS3.18 §F.2.2), the Alphabetic one first; strings are one group. */
export function personNameGroups(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  if (typeof value !== 'object' || value === null) return [];
  const pn = value as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
  return [pn.Alphabetic, pn.Ideographic, pn.Phonetic].filter((g): g is string => typeof g === 'string' && g !== '');
}

/**
 * DA (PS3.5 §6.2: YYYYMMDD) → 'YYYY-MM-DD' for a DATE column; invalid or partial dates give undefined
 * (they stay in the data set, they are just not range-searchable).
 */
export function sqlDate(da: string | undefined): string | undefined {
  if (!da) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!m) return undefined;
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) {
    return undefined;
  }
  return `${y}-${mo}-${d}`;
}

/** TM (PS3.5 §6.2: HH[MM[SS[.F{1,6}]]], also the retired HH:MM:SS form) → 'HH:MM:SS.ffffff' for a TIME column. */
export function sqlTime(tm: string | undefined): string | undefined {
  if (!tm) return undefined;
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(tm.trim());
  if (!m) return undefined;
  const [, hh, mm = '00', ss = '00', frac = ''] = m;
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) return undefined;
  return `${hh}:${mm}:${ss === '60' ? '59' : ss}.${frac.padEnd(6, '0')}`;
}

/**
 * The form of a value used for case- and accent-insensitive matching: Unicode NFD without combining
 * marks, upper case. PS3.4 §C.2.2.2.1.1 lets PN matching ignore case and accents; the same function is
 * applied to the query value.
 */
export function normalizeForMatching(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  return s.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase();
}

/**
 * A person name as it is matched: normalised (normalizeForMatching) without trailing component
 * delimiters and spaces, which PS3.5 §6.2 makes insignificant ("Doe^John^^" is "Doe^John").
 */
export function personNameNorm(name: string | undefined): string | undefined {
  const norm = normalizeForMatching(name)?.replace(/[\^ ]+$/, '');
  return norm === '' ? undefined : norm;
}

/** Word delimiters of a person name: components (^), groups (=), and the spaces and punctuation inside them. */
const nameWordDelimiters = /[\^=\s,.'-]+/u;
/** The longest name-word prefix kept as a key: longer query words are cut to it and checked again by LIKE. */
export const nameKeyLength = 32;

/** The normalised words of a person name (any component group), for fuzzy matching. */
export function personNameWords(name: string): string[] {
  return (normalizeForMatching(name) ?? '').split(nameWordDelimiters).filter((w) => w !== '');
}

/**
 * Fuzzy-matching keys of person names (PS3.18 §8.3.4.2): every prefix, up to nameKeyLength characters, of
 * every word of every component group, so that "a query word starts some word of the name" is one GIN
 * containment test (`keys @> ARRAY[...]`).
 */
export function personNameKeys(groups: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const group of groups) {
    for (const word of personNameWords(group)) {
      const chars = [...word];
      for (let n = 1; n <= Math.min(chars.length, nameKeyLength); n++) keys.add(chars.slice(0, n).join(''));
    }
  }
  return [...keys].sort();
}

/**
 * TimezoneOffsetFromUTC (PS3.3 §C.12.1.1.8: "&ZZXX", from -1200 to +1400) in minutes; anything else gives
 * undefined.
 */
export function timezoneOffsetMinutes(value: string | undefined): number | undefined {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const minutes = Number(m[3]);
  const total = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + minutes);
  return minutes < 60 && total >= -12 * 60 && total <= 14 * 60 ? total : undefined;
}
