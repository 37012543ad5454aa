import { ImagingError } from './imaging-error';

/**
 * A lookup table of PS3.3 C.11.1.1 / C.11.2.1.1 / C.7.6.3.1.5: the entry for stored (or modality)
 * value `x` is `data[clamp(x - firstMapped, 0, data.length - 1)]`; input below the first mapped value
 * takes the first entry, above the last the last entry.
 */
export interface Lut {
  /** The first input value mapped (second value of the LUT Descriptor, signed when the input is). */
  readonly firstMapped: number;
  /** Bits of each entry (third value of the LUT Descriptor): 8..16. Output range is 0 .. 2^bits - 1. */
  readonly bitsPerEntry: number;
  /** The entries, unsigned (PS3.3 C.11.1.1.1: LUT output is unsigned). */
  readonly data: Uint16Array;
  readonly explanation?: string;
}

/** The entry of `lut` for `value`, clamped at both ends (PS3.3 C.11.1.1). */
export function lookup(lut: Lut, value: number): number {
  const index = value - lut.firstMapped;
  if (index <= 0) return lut.data[0];
  if (index >= lut.data.length) return lut.data[lut.data.length - 1];
  return lut.data[Math.floor(index)];
}

/**
 * Entries from LUT Data given as bytes (OW, little endian) or as numbers (US). The descriptor's entry
 * count 0 means 65536 (PS3.3 C.11.1.1). With 8-bit entries the data may be one byte per entry or one
 * 16-bit word per entry: both exist in the wild, so the length decides (as in dcmtk and pydicom).
 */
export function lutEntries(
  what: string,
  descriptorCount: number,
  bitsPerEntry: number,
  data: Uint8Array | readonly number[],
): Uint16Array {
  const count = descriptorCount === 0 ? 65536 : descriptorCount;
  const out = new Uint16Array(count);
  if (data instanceof Uint8Array) {
    if (bitsPerEntry <= 8 && data.length >= count && data.length < count * 2) {
      for (let i = 0; i < count; i++) out[i] = data[i];
    } else {
      if (data.length < count * 2) throw lutTooShort(what, count, data.length, 'bytes');
      for (let i = 0; i < count; i++) out[i] = data[2 * i] | (data[2 * i + 1] << 8);
    }
  } else if (bitsPerEntry <= 8 && data.length * 2 === count) {
    // 8-bit entries packed two to a US value, low byte first
    for (let i = 0; i < data.length; i++) {
      out[2 * i] = data[i] & 0xff;
      out[2 * i + 1] = (data[i] >> 8) & 0xff;
    }
  } else {
    if (data.length < count) throw lutTooShort(what, count, data.length, 'values');
    for (let i = 0; i < count; i++) out[i] = data[i];
  }
  const max = bitsPerEntry >= 16 ? 0xffff : (1 << bitsPerEntry) - 1;
  for (let i = 0; i < count; i++) if (out[i] > max) out[i] = max;
  return out;
}

const lutTooShort = (what: string, count: number, got: number, unit: string): ImagingError =>
  new ImagingError(
    'InvalidAttribute',
    `${what}: the descriptor announces ${count} entries but the data has ${got} ${unit}`,
  );

/**
 * Expands Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2) into `count` entries.
 * Segments are 16-bit words: opcode, length, then
 *  - 0 discrete: `length` values;
 *  - 1 linear: one value y1; `length` entries interpolated from the previous entry y0 to y1
 *    (C.7.9.2.2: y0 + (y1 - y0) * i / length, i = 1..length, rounded to the nearest integer);
 *  - 2 indirect: a 32-bit byte offset (low word first) from the start of the data to the first of `length`
 *    segments to copy (C.7.9.2.3). pydicom 3 reads that offset as a word index; both agree on offset 0,
 *    the only value we have seen in real palettes.
 */
export function expandSegmentedLut(words: Uint16Array, count: number): Uint16Array {
  const out: number[] = [];
  const expand = (start: number, maxSegments: number, depth: number): void => {
    if (depth > 4) throw new ImagingError('InvalidAttribute', 'Segmented palette: indirect segments nest too deeply');
    let offset = start;
    let segments = 0;
    while (offset + 1 < words.length && segments < maxSegments) {
      const opcode = words[offset];
      const length = words[offset + 1];
      offset += 2;
      if (opcode === 0) {
        if (offset + length > words.length) throw segmentError('a discrete segment runs past the data');
        for (let i = 0; i < length; i++) out.push(words[offset + i]);
        offset += length;
      } else if (opcode === 1) {
        if (out.length === 0) throw segmentError('the first segment is linear (C.7.9.2.2 needs a previous value)');
        const y0 = out[out.length - 1];
        const y1 = words[offset];
        offset += 1;
        for (let i = 1; i <= length; i++) out.push(Math.round(y0 + ((y1 - y0) * i) / length));
      } else if (opcode === 2) {
        if (out.length === 0) throw segmentError('the first segment is indirect');
        const byteOffset = words[offset] | (words[offset + 1] << 16);
        offset += 2;
        expand(byteOffset >>> 1, length, depth + 1);
      } else {
        throw segmentError(`unknown segment opcode ${opcode}`);
      }
      segments++;
      if (out.length > 65536) throw segmentError('more than 65536 entries');
    }
  };
  expand(0, Number.POSITIVE_INFINITY, 0);
  const result = new Uint16Array(count);
  for (let i = 0; i < count; i++) result[i] = out[Math.min(i, out.length - 1)] ?? 0;
  return result;
}

const segmentError = (why: string): ImagingError =>
  new ImagingError('InvalidAttribute', `Segmented Palette Color Lookup Table Data: ${why}`);
