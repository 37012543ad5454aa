import { Decoder } from 'jpeg-lossless-decoder-js';
import { decodeJpegLossless, readJpegFrameHeader } from './jpeg-decoder';
import { encodeJpegLossless, optimalHuffmanTable } from './jpeg-lossless-encoder';

/** A decoder we did not write (jpeg-lossless-decoder-js), for grey images. */
function decodeWithPackage(bytes: Buffer, precision: number): number[] {
  const copy = new Uint8Array(bytes).buffer; // a fresh ArrayBuffer holding exactly these bytes
  return Array.from(new Decoder().decode(copy, 0, copy.byteLength, precision > 8 ? 2 : 1));
}

function ramp(length: number, modulo: number, seed = 1): Uint16Array {
  const out = new Uint16Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (((i * 13) % modulo) + ((x >>> 16) % 17)) % modulo;
  }
  return out;
}

describe('JPEG Lossless SV1 encoder (process 14, selection value 1)', () => {
  it.each([
    [8, 255],
    [12, 4095],
    [16, 65535],
  ])('writes %i-bit grey that jpeg-lossless-decoder-js decodes to the same values', (precision, max) => {
    const pixels = ramp(37 * 23, max + 1);
    const encoded = encodeJpegLossless(pixels, 23, 37, 1, precision);
    expect(decodeWithPackage(encoded, precision)).toEqual(Array.from(pixels));
    expect(Array.from(decodeJpegLossless(encoded).samples)).toEqual(Array.from(pixels));
  });

  it('codes the difference 32768 of 16-bit data as category 16 without extra bits (H.1.2.2)', () => {
    const pixels = Uint16Array.from([0, 32768, 0, 65535, 1, 32769]);
    const encoded = encodeJpegLossless(pixels, 2, 3, 1, 16);
    expect(Array.from(decodeJpegLossless(encoded).samples)).toEqual(Array.from(pixels));
    expect(decodeWithPackage(encoded, 16)).toEqual(Array.from(pixels));
  });

  it('codes two-s complement samples as their bit patterns', () => {
    const pixels = Int16Array.from([-2048, -1, 0, 2047, -7, 5]);
    const encoded = encodeJpegLossless(pixels, 2, 3, 1, 12);
    expect(Array.from(decodeJpegLossless(encoded).samples)).toEqual(Array.from(pixels, (v) => v & 0xfff));
  });

  it('writes SOF3 with the precision, size and H = V = 1 components, and SOS with predictor 1', () => {
    const encoded = encodeJpegLossless(new Uint8Array(3 * 4 * 5), 4, 5, 3, 8);
    const header = readJpegFrameHeader(encoded);
    expect(header).toMatchObject({ marker: 0xffc3, precision: 8, rows: 4, columns: 5 });
    expect(header.components.map((c) => [c.id, c.h, c.v])).toEqual([
      [1, 1, 1],
      [2, 1, 1],
      [3, 1, 1],
    ]);
    const sos = encoded.indexOf(Buffer.from([0xff, 0xda]));
    expect(encoded[sos + 4]).toBe(3); // Ns
    expect(encoded.subarray(sos + 11, sos + 14)).toEqual(Buffer.from([1, 0, 0])); // Ss = 1, Se = 0, Ah/Al = 0
  });

  it('round-trips interleaved colour', () => {
    const pixels = new Uint8Array(3 * 16 * 9).map((_, i) => (i * 31) & 255);
    expect(Array.from(decodeJpegLossless(encodeJpegLossless(pixels, 9, 16, 3, 8)).samples)).toEqual(Array.from(pixels));
  });

  it('limits Huffman codes to 16 bits and never uses the all-ones code (K.2, K.3)', () => {
    // Fibonacci frequencies give the deepest possible tree
    const frequencies = Int32Array.from([1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597]);
    const { bits, values } = optimalHuffmanTable(frequencies);
    expect(values.length).toBe(17);
    expect(bits.reduce((a, b) => a + b, 0)).toBe(17);
    // Kraft sum strictly below 1: the all-ones code of the longest length is unused
    const kraft = Array.from(bits).reduce((sum, count, i) => sum + count / 2 ** (i + 1), 0);
    expect(kraft).toBeLessThan(1);
  });
});
