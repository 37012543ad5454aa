import { dictionaryRows, repeaterRows, Tag, type DictionaryRow, type Keyword } from './generated/dictionary';

/** One data element of PS3.6. `vr` lists the allowed VRs ('US|SS'); '' for items and delimiters. */
export interface DictionaryEntry {
  readonly tag: string;
  readonly vr: string;
  readonly vm: string;
  readonly keyword: string;
  readonly name: string;
  readonly retired: boolean;
}

const toEntry = (row: DictionaryRow, tag = row[0]): DictionaryEntry => ({
  tag,
  vr: row[1],
  vm: row[2],
  keyword: row[3],
  name: row[4],
  retired: row[5] === 1,
});

let byTag: Map<string, DictionaryEntry> | undefined;
let byKeyword: Map<string, DictionaryEntry> | undefined;
const repeaters = repeaterRows.map((row) => ({ pattern: new RegExp(`^${row[0].replace(/X/g, '[0-9A-F]')}$`), row }));

function tables(): { byTag: Map<string, DictionaryEntry>; byKeyword: Map<string, DictionaryEntry> } {
  if (!byTag || !byKeyword) {
    byTag = new Map();
    byKeyword = new Map();
    for (const row of dictionaryRows) {
      const entry = toEntry(row);
      byTag.set(entry.tag, entry);
      if (entry.keyword && !byKeyword.has(entry.keyword)) byKeyword.set(entry.keyword, entry);
    }
    for (const { row } of repeaters) if (row[3] && !byKeyword.has(row[3])) byKeyword.set(row[3], toEntry(row));
  }
  return { byTag, byKeyword };
}

/** Is `tag` in the DICOM JSON form: eight uppercase hexadecimal digits (PS3.18 F.2.1.1)? */
export const isTag = (tag: string): boolean => /^[0-9A-F]{8}$/.test(tag);

/** Private data elements have an odd group number (PS3.5 7.8). */
export const isPrivateTag = (tag: string): boolean => (parseInt(tag.slice(3, 4), 16) & 1) === 1;

/**
 * The dictionary entry of a tag (eight hex digits, any case), including repeating groups such as the
 * overlay (60xx) and curve (50xx) elements. Private tags and unknown public tags give undefined,
 * except group length (gggg0000, PS3.5 7.2) and private creators (gggg0010-00FF, PS3.5 7.8.1).
 */
export function lookupTag(tag: string): DictionaryEntry | undefined {
  const t = tag.toUpperCase();
  const hit = tables().byTag.get(t);
  if (hit) return hit;
  for (const { pattern, row } of repeaters) if (pattern.test(t)) return toEntry(row, t);
  const element = t.slice(4);
  if (element === '0000') return { tag: t, vr: 'UL', vm: '1', keyword: '', name: 'Group Length', retired: true };
  if (isPrivateTag(t) && element >= '0010' && element <= '00FF') {
    return { tag: t, vr: 'LO', vm: '1', keyword: '', name: 'Private Creator', retired: false };
  }
  return undefined;
}

/** The entry of a PS3.6 keyword (case-sensitive, as the standard spells it). */
export const lookupKeyword = (keyword: string): DictionaryEntry | undefined => tables().byKeyword.get(keyword);

/** The tag of a keyword, or undefined. Prefer the `Tag` constants where the keyword is known in code. */
export const tagOfKeyword = (keyword: string): string | undefined => lookupKeyword(keyword)?.tag;

/** The keyword of a tag ('' for private or unknown tags). */
export const keywordOf = (tag: string): string => lookupTag(tag)?.keyword ?? '';

/**
 * The VR to use for an element whose encoding does not say it (Implicit VR, PS3.5 7.1.3): the first VR
 * the dictionary allows, 'UN' when the tag is unknown. Callers refine 'US|SS' and 'OB|OW' cases themselves.
 */
export function defaultVrOf(tag: string): string {
  const vr = lookupTag(tag)?.vr;
  if (!vr) return 'UN';
  return vr.split('|')[0] ?? 'UN';
}

export { Tag, type Keyword };
