import { ImagingError } from './imaging-error';
import { type PixelArray, unsignedView } from './pixel-array';

/*
 * JPEG Lossless, Non-Hierarchical, First-Order Prediction (process 14, selection value 1): the transfer
 * syntax PS3.5 A.4.1 names 1.2.840.10008.1.2.4.70, the default lossless JPEG of DICOM.
 *
 * Stream: SOI, DHT (one table, optimal for this frame, K.2), SOF3 (P, Y, X, Nf components with H=V=1),
 * SOS (all components interleaved, Ss = 1 predictor, Se = 0, Ah = 0, Al = 0 point transform), the
 * Huffman-coded differences, EOI. Prediction (H.1.2.1, no restart intervals): the first sample 2^(P-1),
 * the rest of the first row Ra (left), the first column Rb (above), everything else Ra (SV1).
 * A difference is taken modulo 2^16 (H.1.2.1) and coded as its magnitude category SSSS (0-16) followed
 * by SSSS extra bits (F.1.2.1, H.1.2.2: category 16 means 32768 and has no extra bits).
 *
 * Two's complement samples are coded as their P-bit patterns (PS3.5 8.2.1: the JPEG process is unsigned;
 * Pixel Representation says how to read the result).
 */

const category = (diff: number): number => (diff === 0 ? 0 : 32 - Math.clz32(diff < 0 ? -diff : diff));

export function encodeJpegLossless(
  pixels: PixelArray,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  precision: number,
): Buffer {
  if (precision < 2 || precision > 16)
    throw new ImagingError('UnsupportedPixelData', `JPEG Lossless codes 2-16 bits, not ${precision}`);
  if (rows > 0xffff || columns > 0xffff)
    throw new ImagingError('UnsupportedPixelData', 'JPEG allows at most 65535 rows and columns');
  const raw = unsignedView(pixels);
  const mask = (1 << precision) - 1;
  const n = rows * columns * samplesPerPixel;
  const diffs = new Int32Array(n);
  const stride = columns * samplesPerPixel;
  const initial = 1 << (precision - 1);
  for (let i = 0; i < n; i++) {
    const x = raw[i] & mask;
    let prediction: number;
    if (i < stride) prediction = i < samplesPerPixel ? initial : raw[i - samplesPerPixel] & mask;
    else if (i % stride < samplesPerPixel) prediction = raw[i - stride] & mask;
    else prediction = raw[i - samplesPerPixel] & mask;
    // modulo 2^16 into -32767..32768
    let d = (x - prediction) & 0xffff;
    if (d > 32768) d -= 65536;
    diffs[i] = d;
  }

  const frequencies = new Int32Array(17);
  for (let i = 0; i < n; i++) frequencies[category(diffs[i])]++;
  const { bits, values } = optimalHuffmanTable(frequencies);
  const codes = new Uint32Array(17);
  const lengths = new Uint8Array(17);
  // C.2: canonical codes from the code-length counts
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let j = 0; j < bits[length - 1]; j++, k++) {
      codes[values[k]] = code++;
      lengths[values[k]] = length;
    }
    code <<= 1;
  }

  const writer = new ByteWriter(n * 2 + 1024);
  writer.marker(0xffd8); // SOI
  // DHT: class 0, identifier 0
  writer.marker(0xffc4);
  writer.u16(2 + 1 + 16 + values.length);
  writer.byte(0x00);
  for (let i = 0; i < 16; i++) writer.byte(bits[i]);
  for (const v of values) writer.byte(v);
  // SOF3
  writer.marker(0xffc3);
  writer.u16(8 + 3 * samplesPerPixel);
  writer.byte(precision);
  writer.u16(rows);
  writer.u16(columns);
  writer.byte(samplesPerPixel);
  for (let c = 0; c < samplesPerPixel; c++) {
    writer.byte(c + 1);
    writer.byte(0x11);
    writer.byte(0);
  }
  // SOS
  writer.marker(0xffda);
  writer.u16(6 + 2 * samplesPerPixel);
  writer.byte(samplesPerPixel);
  for (let c = 0; c < samplesPerPixel; c++) {
    writer.byte(c + 1);
    writer.byte(0x00);
  }
  writer.byte(1); // Ss: predictor selection value 1
  writer.byte(0); // Se
  writer.byte(0); // Ah, Al (no point transform)
  for (let i = 0; i < n; i++) {
    const d = diffs[i];
    const s = category(d);
    writer.bits(codes[s], lengths[s]);
    if (s > 0 && s < 16) writer.bits(d < 0 ? d + (1 << s) - 1 : d, s);
  }
  writer.flushBits();
  writer.marker(0xffd9); // EOI
  return writer.result();
}

/**
 * Code lengths of an optimal Huffman code limited to 16 bits with no all-ones code word (ISO 10918-1
 * K.2, figures K.1-K.4; the extra symbol of frequency 1 reserves the all-ones code).
 */
export function optimalHuffmanTable(frequencies: Int32Array): { bits: Uint8Array; values: number[] } {
  const symbols = frequencies.length;
  const freq = Array.from(frequencies, (f) => f);
  freq.push(1); // the reserved symbol
  const codeSize = new Array<number>(symbols + 1).fill(0);
  const others = new Array<number>(symbols + 1).fill(-1);
  for (;;) {
    // K.1: the two least frequent (v1: smallest, ties to the larger index; v2: next smallest)
    let v1 = -1;
    let v2 = -1;
    for (let i = 0; i <= symbols; i++) {
      if (freq[i] > 0 && (v1 < 0 || freq[i] <= freq[v1])) v1 = i;
    }
    for (let i = 0; i <= symbols; i++) {
      if (freq[i] > 0 && i !== v1 && (v2 < 0 || freq[i] <= freq[v2])) v2 = i;
    }
    if (v2 < 0) break;
    freq[v1] += freq[v2];
    freq[v2] = 0;
    codeSize[v1]++;
    while (others[v1] >= 0) {
      v1 = others[v1];
      codeSize[v1]++;
    }
    others[v1] = v2;
    codeSize[v2]++;
    while (others[v2] >= 0) {
      v2 = others[v2];
      codeSize[v2]++;
    }
  }
  // K.2: count code sizes; K.3: limit to 16 bits
  const bits = new Array<number>(33).fill(0);
  for (let i = 0; i <= symbols; i++) if (codeSize[i] > 0) bits[codeSize[i]]++;
  for (let i = 32; i > 16; i--) {
    while (bits[i] > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i] -= 2;
      bits[i - 1]++;
      bits[j + 1] += 2;
      bits[j]--;
    }
  }
  let i = 16;
  while (bits[i] === 0) i--;
  bits[i]--; // remove the reserved code word
  // K.4: symbols ordered by code size
  const values: number[] = [];
  for (let size = 1; size <= 32; size++) for (let s = 0; s < symbols; s++) if (codeSize[s] === size) values.push(s);
  return { bits: Uint8Array.from(bits.slice(1, 17)), values };
}

/** Big-endian bytes and an MSB-first bit stream with 0xFF byte stuffing (F.1.2.3). */
class ByteWriter {
  private buffer: Buffer;
  private length = 0;
  private bitBuffer = 0;
  private bitCount = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
  }

  u16(value: number): void {
    this.byte(value >> 8);
    this.byte(value);
  }

  marker(marker: number): void {
    this.u16(marker);
  }

  bits(value: number, count: number): void {
    // at most 16 + 16 pending bits: keep the buffer under 32 bits by emitting whole bytes
    this.bitBuffer = (this.bitBuffer << count) | (value & ((1 << count) - 1));
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.bitCount -= 8;
      const byte = (this.bitBuffer >>> this.bitCount) & 0xff;
      this.byte(byte);
      if (byte === 0xff) this.byte(0x00);
    }
    this.bitBuffer &= (1 << this.bitCount) - 1;
  }

  flushBits(): void {
    if (this.bitCount > 0) this.bits(0x7f, 8 - this.bitCount); // pad with 1-bits (F.1.2.3)
  }

  result(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}
