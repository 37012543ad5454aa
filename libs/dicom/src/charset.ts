// Text of the VRs SH, LO, ST, LT, UC, UT and PN under Specific Character Set (0008,0005): PS3.5 §6.1 and
// PS3.3 C.12.1.1.2 (Defined Terms, Tables C.12-2 to C.12-5). The code pages themselves are decoded by the
// WHATWG TextDecoder of Node (full ICU); this file only knows which page a Defined Term names and, for
// ISO 2022 code extensions, how escape sequences switch between them (PS3.5 §6.1.2.5).
import { TextDecoder } from 'node:util';

/** Thrown when text cannot be encoded in the requested character set. */
export class CharsetError extends Error {
  constructor(
    readonly code: 'UnsupportedCharacterSet' | 'Unencodable',
    message: string,
  ) {
    super(message);
    this.name = 'CharsetError';
  }
}

/** A 94 or 96 character set (one byte a character) or a 94×94 set (two bytes), and where it is invoked. */
interface CodeElement {
  readonly name: string;
  /** G0 sets are invoked into bytes 0x21–0x7E (GL), G1 sets into 0xA1–0xFE (GR). */
  readonly g: 0 | 1;
  /** WHATWG encoding that decodes the set (for 94×94 sets: in its EUC form, high bits set). */
  readonly label: string;
  readonly multiByte: boolean;
  /** The escape sequence that designates the set (without the leading ESC). */
  readonly escape: readonly number[];
}

const ascii: CodeElement = { name: 'ISO-IR 6', g: 0, label: 'ascii', multiByte: false, escape: [0x28, 0x42] };
// JIS X 0201 Romaji differs from ASCII only at 0x5C (YEN SIGN) and 0x7E (OVERLINE); like pydicom and
// the WHATWG Shift_JIS decoder we keep them as '\' and '~', so '\' still separates values.
const romaji: CodeElement = { name: 'ISO-IR 14', g: 0, label: 'ascii', multiByte: false, escape: [0x28, 0x4a] };
const katakana: CodeElement = { name: 'ISO-IR 13', g: 1, label: 'shift_jis', multiByte: false, escape: [0x29, 0x49] };
const latin = (name: string, label: string, final: number): CodeElement => ({
  name,
  g: 1,
  label,
  multiByte: false,
  escape: [0x2d, final],
});
const jisX0208: CodeElement = { name: 'ISO-IR 87', g: 0, label: 'euc-jp', multiByte: true, escape: [0x24, 0x42] };
const jisX0212: CodeElement = {
  name: 'ISO-IR 159',
  g: 0,
  label: 'euc-jp',
  multiByte: true,
  escape: [0x24, 0x28, 0x44],
};
const ksX1001: CodeElement = { name: 'ISO-IR 149', g: 1, label: 'euc-kr', multiByte: true, escape: [0x24, 0x29, 0x43] };
const gb2312: CodeElement = { name: 'ISO-IR 58', g: 1, label: 'gbk', multiByte: true, escape: [0x24, 0x29, 0x41] };

// PS3.3 Table C.12-3 / C.12-4: the G1 set of each single-byte Defined Term ('ISO_IR n' without code
// extensions, 'ISO 2022 IR n' with them). ISO 8859 is decoded through a 256-entry table built from
// TextDecoder, with 0x80–0x9F kept as the C1 controls (WHATWG maps some ISO 8859 labels to Windows pages).
const g1Sets: Record<string, CodeElement> = {
  '100': latin('ISO-IR 100', 'iso-8859-1', 0x41),
  '101': latin('ISO-IR 101', 'iso-8859-2', 0x42),
  '109': latin('ISO-IR 109', 'iso-8859-3', 0x43),
  '110': latin('ISO-IR 110', 'iso-8859-4', 0x44),
  '144': latin('ISO-IR 144', 'iso-8859-5', 0x4c),
  '127': latin('ISO-IR 127', 'iso-8859-6', 0x47),
  '126': latin('ISO-IR 126', 'iso-8859-7', 0x46),
  '138': latin('ISO-IR 138', 'iso-8859-8', 0x48),
  '148': latin('ISO-IR 148', 'iso-8859-9', 0x4d),
  '203': latin('ISO-IR 203', 'iso-8859-15', 0x62),
  '166': latin('ISO-IR 166', 'iso-8859-11', 0x54),
  '13': katakana,
};
// PS3.3 Table C.12-4 (multi-byte with code extensions).
const multiByteSets: Record<string, CodeElement> = { '87': jisX0208, '159': jisX0212, '149': ksX1001, '58': gb2312 };
const allElements: readonly CodeElement[] = [
  ascii,
  romaji,
  ...Object.values(g1Sets),
  jisX0208,
  jisX0212,
  ksX1001,
  gb2312,
];

const decoders = new Map<string, TextDecoder>();
const decoderOf = (label: string): TextDecoder => {
  let d = decoders.get(label);
  if (!d) decoders.set(label, (d = new TextDecoder(label)));
  return d;
};

const singleByteTables = new Map<string, string[]>();
/** Characters of bytes 0–255 in an ISO 8859 part (or JIS X 0201), C1 controls kept as themselves. */
function singleByteTable(label: string): string[] {
  let table = singleByteTables.get(label);
  if (table) return table;
  table = [];
  const decoder = decoderOf(label);
  for (let b = 0; b < 256; b++) {
    if (b < 0xa0 && !(label === 'shift_jis' && b >= 0x80)) table.push(String.fromCharCode(b));
    else table.push(decoder.decode(Uint8Array.of(b)));
  }
  singleByteTables.set(label, table);
  return table;
}

/** One parsed Specific Character Set. */
interface Scheme {
  readonly kind: 'table' | 'utf8' | 'decoder' | 'iso2022';
  /** For 'table': the page; for 'decoder': the WHATWG label. */
  readonly label: string;
  /** For 'iso2022': the sets in force at the start of a value and after each reset. */
  readonly initialG0: CodeElement;
  readonly initialG1: CodeElement | undefined;
}

const latin1Table = (): Scheme => ({ kind: 'table', label: 'iso-8859-1', initialG0: ascii, initialG1: undefined });

/**
 * Normalises (0008,0005): PS3.3 C.12.1.1.2. Values are trimmed; an empty list means the default repertoire.
 * Writers often put 'ISO_IR 100' where 'ISO 2022 IR 100' is meant when code extensions are used (more than
 * one value): those are read as their ISO 2022 form, as other toolkits do.
 */
function schemeOf(terms: readonly string[]): Scheme {
  const values = terms.map((t) => t.trim());
  const first = values[0] ?? '';
  if (values.length <= 1) {
    if (first === '' || first === 'ISO_IR 6' || first === 'ISO 2022 IR 6') {
      return first === 'ISO 2022 IR 6' ? iso2022(values) : latin1Table();
    }
    if (first === 'ISO_IR 192') return { kind: 'utf8', label: 'utf-8', initialG0: ascii, initialG1: undefined };
    if (first === 'GB18030' || first === 'GBK') {
      return { kind: 'decoder', label: first.toLowerCase(), initialG0: ascii, initialG1: undefined };
    }
    const m = /^ISO_IR (\d+)$/.exec(first);
    const set = m ? g1Sets[m[1]!] : undefined;
    if (set) return { kind: 'table', label: set.label, initialG0: m![1] === '13' ? romaji : ascii, initialG1: set };
    if (first.startsWith('ISO 2022 IR ')) return iso2022(values);
    return latin1Table(); // unknown term: PS3.5 §6.1.2.3 leaves it to the application; bytes stay readable
  }
  // UTF-8, GB18030 and GBK admit no code extensions (PS3.5 §6.1.2.5.4): a second value is ignored.
  if (first === 'ISO_IR 192') return schemeOf([first]);
  if (first === 'GB18030' || first === 'GBK') return schemeOf([first]);
  return iso2022(values);
}

function iso2022(values: readonly string[]): Scheme {
  const number = (v: string): string | undefined => /^ISO(?:_| 2022 )IR (\d+)$/.exec(v)?.[1];
  const first = number(values[0] ?? '');
  const g1 =
    first === undefined
      ? undefined
      : (g1Sets[first] ?? (multiByteSets[first]?.g === 1 ? multiByteSets[first] : undefined));
  const g0 =
    first === '13' ? romaji : first !== undefined && multiByteSets[first]?.g === 0 ? multiByteSets[first]! : ascii;
  return { kind: 'iso2022', label: '', initialG0: g0, initialG1: g1 };
}

const schemes = new Map<string, Scheme>();
const termsOf = (terms: readonly string[] | string | undefined): readonly string[] =>
  terms === undefined ? [] : typeof terms === 'string' ? terms.split('\\') : terms;

const schemeFor = (terms: readonly string[] | string | undefined): Scheme => {
  const list = termsOf(terms);
  const key = list.join('\\');
  let s = schemes.get(key);
  if (!s) schemes.set(key, (s = schemeOf(list)));
  return s;
};

const ESC = 0x1b;

/** Which escape sequence starts at bytes[i + 1] (after ESC), and its length without ESC. */
function escapeAt(bytes: Uint8Array, i: number): CodeElement | undefined {
  for (const element of allElements) {
    const e = element.escape;
    let match = true;
    for (let k = 0; k < e.length; k++) {
      if (bytes[i + 1 + k] !== e[k]) {
        match = false;
        break;
      }
    }
    if (match) return element;
  }
  // ESC $ @ designates JIS C 6226-1978, the older edition of JIS X 0208 some writers still emit.
  if (bytes[i + 1] === 0x24 && bytes[i + 2] === 0x40) return { ...jisX0208, escape: [0x24, 0x40] };
  return undefined;
}

/**
 * Decodes ISO 2022 text (PS3.5 §6.1.2.5). The sets in force return to the initial ones (those of value 1 of
 * Specific Character Set) at every control character (CR, LF, FF, TAB …), at the value delimiter '\' when
 * the VR has several values, and for PN at the component delimiter '^' and the group delimiter '='
 * (PS3.5 §6.1.2.5.3): writers must switch back explicitly there, and readers that reset are robust to
 * writers that do not. Inside a 94×94 set these bytes are halves of a character, not delimiters.
 */
function decodeIso2022(bytes: Uint8Array, scheme: Scheme, resets: ReadonlySet<number>): string {
  let g0 = scheme.initialG0;
  let g1 = scheme.initialG1;
  const out: string[] = [];
  let run: number[] = [];
  let runLabel = '';
  const flush = (): void => {
    if (run.length) out.push(decoderOf(runLabel).decode(Uint8Array.from(run)));
    run = [];
  };
  const emit = (label: string, ...b: number[]): void => {
    if (label !== runLabel) {
      flush();
      runLabel = label;
    }
    run.push(...b);
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === ESC) {
      const element = escapeAt(bytes, i);
      if (element) {
        if (element.g === 0) g0 = element;
        else g1 = element;
        i += element.escape.length;
        continue;
      }
      emit('ascii', b); // an escape we do not know: keep the byte, read on
      continue;
    }
    if (b < 0x20) {
      g0 = scheme.initialG0;
      g1 = scheme.initialG1;
      emit('ascii', b);
      continue;
    }
    if (b < 0x80) {
      if (g0.multiByte && b >= 0x21 && b <= 0x7e && i + 1 < bytes.length) {
        const b2 = bytes[++i]!;
        if (g0 === jisX0212) emit('euc-jp', 0x8f, b | 0x80, b2 | 0x80);
        else emit('euc-jp', b | 0x80, b2 | 0x80);
        continue;
      }
      if (resets.has(b)) {
        g0 = scheme.initialG0;
        g1 = scheme.initialG1;
      }
      emit('ascii', b);
      continue;
    }
    if (g1?.multiByte) {
      if (i + 1 < bytes.length) emit(g1.label, b, bytes[++i]!);
      else emit(g1.label, b);
    } else if (g1) {
      flush();
      runLabel = '';
      out.push(singleByteTable(g1.label)[b]!);
    } else {
      flush();
      runLabel = '';
      out.push(String.fromCharCode(b)); // no G1 set invoked: read as ISO 8859-1 rather than fail
    }
  }
  flush();
  return out.join('');
}

const noResets: ReadonlySet<number> = new Set();
const valueResets: ReadonlySet<number> = new Set([0x5c]);
const pnResets: ReadonlySet<number> = new Set([0x5c, 0x5e, 0x3d]);

/**
 * Decodes the bytes of a text value under Specific Character Set `specificCharacterSet` (its values, or the
 * raw '\'-separated string; undefined or empty for the default repertoire). `vr` decides which delimiters
 * reset ISO 2022 code extensions: '\' for multi-valued VRs, also '^' and '=' for PN; none for LT, ST, UT.
 * Padding is not removed here.
 */
export function decodeText(
  bytes: Uint8Array,
  specificCharacterSet: readonly string[] | string | undefined,
  vr = 'LO',
): string {
  const scheme = schemeFor(specificCharacterSet);
  switch (scheme.kind) {
    case 'utf8':
    case 'decoder':
      return decoderOf(scheme.label).decode(bytes);
    case 'table': {
      if (scheme.label === 'iso-8859-1')
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
      const table = singleByteTable(scheme.label);
      let s = '';
      for (let i = 0; i < bytes.length; i++) s += table[bytes[i]!];
      return s;
    }
    case 'iso2022': {
      const resets = vr === 'PN' ? pnResets : vr === 'LT' || vr === 'ST' || vr === 'UT' ? noResets : valueResets;
      return decodeIso2022(bytes, scheme, resets);
    }
  }
}

const encodeTables = new Map<string, Map<string, number>>();
function encodeTable(label: string): Map<string, number> {
  let table = encodeTables.get(label);
  if (table) return table;
  table = new Map();
  const chars = singleByteTable(label);
  for (let b = 255; b >= 0; b--) if (chars[b] !== '\ufffd') table.set(chars[b]!, b);
  encodeTables.set(label, table);
  return table;
}

/**
 * Encodes text for a value under Specific Character Set. Supported: the default repertoire (ASCII),
 * ISO_IR 192 (UTF-8) and the single-byte Defined Terms without code extensions (ISO_IR 100 … 166, ISO_IR 13).
 * Throws CharsetError('UnsupportedCharacterSet') for GB18030, GBK and ISO 2022 code extensions, and
 * CharsetError('Unencodable') for a character the set does not have.
 */
export function encodeText(text: string, specificCharacterSet: readonly string[] | string | undefined): Buffer {
  const terms = termsOf(specificCharacterSet).map((t) => t.trim());
  const first = terms[0] ?? '';
  if (first === 'ISO_IR 192') return Buffer.from(text, 'utf8');
  const defaultRepertoire = terms.length <= 1 && (first === '' || first === 'ISO_IR 6' || first === 'ISO 2022 IR 6');
  const single = terms.length <= 1 ? /^ISO_IR (\d+)$/.exec(first) : null;
  const set = single ? g1Sets[single[1]!] : undefined;
  if (!defaultRepertoire && !set) {
    throw new CharsetError('UnsupportedCharacterSet', `cannot encode text in ${terms.join('\\')}`);
  }
  const table = set ? encodeTable(set.label) : undefined;
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const b = code < 0x80 ? code : table?.get(ch);
    if (b === undefined || (code >= 0x80 && b < 0x80)) {
      const hex = code.toString(16).toUpperCase().padStart(4, '0');
      throw new CharsetError('Unencodable', `U+${hex} is not in ${first || 'the default repertoire'}`);
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}
