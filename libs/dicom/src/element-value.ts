// Value Fields (PS3.5 §6.2) to DICOM JSON values (PS3.18 §F.2.3) and back.
import { decodeText, encodeText } from './charset';
import { type DicomJsonElement, type PersonNameJson } from './dicom-json';
import { Part10Error } from './part10-error';
import { isVr, VR, vrInfo } from './vr';

/** How a value is encoded: byte order of the transfer syntax and the Specific Character Set in force. */
export interface ValueContext {
  littleEndian: boolean;
  /** Values of Specific Character Set (0008,0005) of the enclosing data set, or of the nearest one that has it. */
  specificCharacterSet?: readonly string[];
}

// PS3.5 Table 6.2-1: which padding is insignificant. Leading and trailing spaces for AE, CS, DS, IS, LO
// and SH; trailing spaces only for the others; UI is padded with one trailing NUL.
const trimBoth = new Set(['AE', 'CS', 'DS', 'IS', 'LO', 'SH']);
const integerString = /^[+-]?[0-9]+$/;
const decimalString = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);
const integerRanges = {
  US: [0, 0xffff],
  SS: [-0x8000, 0x7fff],
  UL: [0, 0xffffffff],
  SL: [-0x80000000, 0x7fffffff],
} as const;

/** Swaps each `size`-byte word of `bytes` (big ↔ little endian) into a new buffer. */
export function swapBytes(bytes: Uint8Array, size: number): Buffer {
  const out = Buffer.from(bytes);
  if (size === 2) out.swap16();
  else if (size === 4) out.swap32();
  else if (size === 8) out.swap64();
  return out;
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Strips trailing spaces and NULs (writers that pad text with NUL exist). */
const trimEnd = (s: string): string => s.replace(/[ \0]+$/, '');

function parsePersonName(value: string): PersonNameJson | null {
  const groups = value.split('=');
  const pn: PersonNameJson = {};
  const [alphabetic, ideographic, phonetic] = groups.map((g) => g.replace(/ +$/, ''));
  if (alphabetic) pn.Alphabetic = alphabetic;
  if (ideographic) pn.Ideographic = ideographic;
  if (phonetic) pn.Phonetic = phonetic;
  return Object.keys(pn).length ? pn : null;
}

/**
 * IS and DS become JSON numbers (PS3.18 §F.2.3). A value that is not a valid IS or DS (PS3.5 Table 6.2-1)
 * stays the string it was, which the Note of Table F.2.3-1 allows, so no information is lost.
 */
function parseNumberString(vr: 'IS' | 'DS', s: string): number | string {
  if (vr === 'IS' ? integerString.test(s) : decimalString.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n)) return n;
  }
  return s;
}

/** SV and UV: JSON numbers while exact (|v| ≤ 2^53 − 1), decimal strings beyond (PS3.18 Table F.2.3-1 Note). */
const bigToJson = (v: bigint): number | string => (v <= maxSafe && v >= -maxSafe ? Number(v) : v.toString());

/**
 * The DICOM JSON element for a Value Field of `bytes` (already complete; BulkDataURI is the caller's choice).
 * Binary VRs become InlineBinary in Little Endian byte order whatever the transfer syntax, so the JSON does not
 * depend on how the file was encoded (PS3.18 §F.2.7 applies the rules of the VR: OW, OF, OL, OD, OV are words).
 */
export function decodeElementValue(vr: string, bytes: Uint8Array, ctx: ValueContext): DicomJsonElement {
  const info = vrInfo(vr);
  if (!info || bytes.length === 0) return { vr };
  switch (info.kind) {
    case 'binary': {
      const le = ctx.littleEndian || info.size === 1 ? Buffer.from(bytes) : swapBytes(bytes, info.size);
      return { vr, InlineBinary: le.toString('base64') };
    }
    case 'tag': {
      const dv = view(bytes);
      const values: string[] = [];
      for (let i = 0; i + 4 <= bytes.length; i += 4) {
        const group = dv.getUint16(i, ctx.littleEndian);
        const element = dv.getUint16(i + 2, ctx.littleEndian);
        values.push(((group << 16) | element).toString(16).toUpperCase().padStart(8, '0').slice(-8));
      }
      return values.length ? { vr, Value: values } : { vr };
    }
    case 'number': {
      const dv = view(bytes);
      const le = ctx.littleEndian;
      const values: (number | string)[] = [];
      const n = Math.floor(bytes.length / info.size);
      for (let i = 0; i < n; i++) {
        const at = i * info.size;
        switch (vr) {
          case 'US':
            values.push(dv.getUint16(at, le));
            break;
          case 'SS':
            values.push(dv.getInt16(at, le));
            break;
          case 'UL':
            values.push(dv.getUint32(at, le));
            break;
          case 'SL':
            values.push(dv.getInt32(at, le));
            break;
          case 'FL':
            values.push(dv.getFloat32(at, le));
            break;
          case 'FD':
            values.push(dv.getFloat64(at, le));
            break;
          case 'SV':
            values.push(bigToJson(dv.getBigInt64(at, le)));
            break;
          case 'UV':
            values.push(bigToJson(dv.getBigUint64(at, le)));
            break;
        }
      }
      return values.length ? { vr, Value: values } : { vr };
    }
    case 'sequence':
      return { vr };
    case 'text': {
      const raw = decodeText(bytes, info.charset ? ctx.specificCharacterSet : undefined, vr);
      const whole = vr === 'UI' ? raw.replace(/[\0 ]+$/, '') : trimEnd(raw);
      if (whole === '') return { vr };
      const parts = info.multiValued ? whole.split('\\') : [whole];
      const values = parts.map((part): unknown => {
        const s = trimBoth.has(vr) ? part.trim() : vr === 'UI' ? part.replace(/[\0 ]+$/, '') : trimEnd(part);
        if (s === '') return null;
        if (vr === 'PN') return parsePersonName(s);
        if (vr === 'IS' || vr === 'DS') return parseNumberString(vr, s);
        return s;
      });
      return { vr, Value: values };
    }
  }
}

/**
 * A DS value of at most 16 characters (PS3.5 Table 6.2-1) for a JSON number: the shortest exact form when it
 * fits, otherwise the most precise one that does.
 */
export function formatDecimalString(n: number): string {
  if (!Number.isFinite(n)) throw new Part10Error('InvalidValue', `DS cannot hold ${n}`);
  const exact = String(n);
  if (exact.length <= 16) return exact;
  for (let digits = 16; digits >= 1; digits--) {
    for (const s of [n.toPrecision(digits), n.toExponential(digits - 1)]) {
      const [mantissa, exponent] = s.split('e');
      const m = mantissa!.includes('.') ? mantissa!.replace(/\.?0+$/, '') : mantissa!;
      const clean = exponent === undefined ? m : `${m}e${exponent.replace('+', '')}`;
      if (clean.length <= 16) return clean;
    }
  }
  throw new Part10Error('InvalidValue', `DS cannot hold ${n} in 16 characters`);
}

function formatPersonName(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v !== 'object') throw new Part10Error('InvalidValue', `PN value ${JSON.stringify(v)} is not an object`);
  const pn = v as PersonNameJson;
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
}

function textOf(vr: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (vr === 'PN') return formatPersonName(v);
  if (typeof v === 'number') {
    if (vr === 'DS') return formatDecimalString(v);
    if (vr === 'IS' && Number.isInteger(v)) return String(v);
    throw new Part10Error('InvalidValue', `${vr} value ${v} is not valid`);
  }
  if (typeof v === 'string') return v;
  throw new Part10Error('InvalidValue', `${vr} value ${JSON.stringify(v)} is not a string`);
}

const toBigInt = (vr: string, v: unknown): bigint => {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^[+-]?[0-9]+$/.test(v.trim())) return BigInt(v.trim());
  throw new Part10Error('InvalidValue', `${vr} value ${JSON.stringify(v)} is not an integer`);
};

/**
 * The Value Field for a DICOM JSON element with a Value or InlineBinary (BulkDataURI is resolved by the
 * caller), padded to even length (PS3.5 §7.1.1: UI with NUL, other text with space, OB/UN with NUL).
 */
export function encodeElementValue(element: DicomJsonElement, ctx: ValueContext): Buffer {
  const { vr } = element;
  if (!isVr(vr)) throw new Part10Error('InvalidValue', `unknown VR ${vr}`);
  const info = VR[vr];
  let out: Buffer;
  if (element.InlineBinary !== undefined) {
    const bytes = Buffer.from(element.InlineBinary, 'base64');
    out = ctx.littleEndian || info.size === 1 ? bytes : swapBytes(bytes, info.size);
  } else {
    const values = element.Value ?? [];
    switch (info.kind) {
      case 'binary':
      case 'sequence':
        out = Buffer.alloc(0);
        break;
      case 'text': {
        const joined = values.map((v) => textOf(vr, v)).join('\\');
        out = encodeText(joined, info.charset ? ctx.specificCharacterSet : undefined);
        break;
      }
      case 'tag': {
        out = Buffer.alloc(values.length * 4);
        values.forEach((v, i) => {
          if (typeof v !== 'string' || !/^[0-9A-Fa-f]{8}$/.test(v)) {
            throw new Part10Error('InvalidValue', `AT value ${JSON.stringify(v)} is not eight hex digits`);
          }
          const n = parseInt(v, 16);
          if (ctx.littleEndian) {
            out.writeUInt16LE(n >>> 16, i * 4);
            out.writeUInt16LE(n & 0xffff, i * 4 + 2);
          } else {
            out.writeUInt16BE(n >>> 16, i * 4);
            out.writeUInt16BE(n & 0xffff, i * 4 + 2);
          }
        });
        break;
      }
      case 'number': {
        out = Buffer.alloc(values.length * info.size);
        const dv = view(out);
        const le = ctx.littleEndian;
        values.forEach((v, i) => {
          const at = i * info.size;
          if (vr === 'SV') return dv.setBigInt64(at, toBigInt(vr, v), le);
          if (vr === 'UV') return dv.setBigUint64(at, toBigInt(vr, v), le);
          if (typeof v !== 'number')
            throw new Part10Error('InvalidValue', `${vr} value ${JSON.stringify(v)} is not a number`);
          if (vr === 'FL') return dv.setFloat32(at, v, le);
          if (vr === 'FD') return dv.setFloat64(at, v, le);
          const [min, max] = integerRanges[vr as keyof typeof integerRanges];
          if (!Number.isInteger(v) || v < min || v > max) {
            throw new Part10Error('InvalidValue', `${vr} value ${v} is not an integer in ${min}..${max}`);
          }
          if (vr === 'US') return dv.setUint16(at, v, le);
          if (vr === 'SS') return dv.setInt16(at, v, le);
          if (vr === 'UL') return dv.setUint32(at, v, le);
          return dv.setInt32(at, v, le);
        });
        break;
      }
    }
  }
  return out.length % 2 === 1 ? Buffer.concat([out, Buffer.of(info.padding)]) : out;
}
