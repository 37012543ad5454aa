import { type PixelArray } from './pixel-array';

/*
 * Colour spaces of PS3.3 C.7.6.3.1.2. For 8-bit samples:
 *
 *   YBR_FULL (full range, the JFIF equations):
 *     Y  = + .2990 R + .5870 G + .1140 B
 *     CB = - .1687 R - .3313 G + .5000 B + 128
 *     CR = + .5000 R - .4187 G - .0813 B + 128
 *   YBR_PARTIAL_422 / _420 (ITU-R BT.601 partial range):
 *     Y  = + .2568 R + .5041 G + .0979 B + 16
 *     CB = - .1482 R - .2910 G + .4392 B + 128
 *     CR = + .4392 R - .3678 G - .0714 B + 128
 *
 * For n-bit samples the offset 128 is 2^(n-1) and 16 is 16·2^(n-8). The inverse matrices below are those
 * of the forward equations (computed, not copied), and results are rounded and clamped to 0 .. 2^n - 1.
 */

const invert3 = (m: readonly number[]): number[] => {
  const [a, b, c, d, e, f, g, h, i] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    (e * i - f * h) / det,
    (c * h - b * i) / det,
    (b * f - c * e) / det,
    (f * g - d * i) / det,
    (a * i - c * g) / det,
    (c * d - a * f) / det,
    (d * h - e * g) / det,
    (b * g - a * h) / det,
    (a * e - b * d) / det,
  ];
};

export const ybrFullForward = [0.299, 0.587, 0.114, -0.1687, -0.3313, 0.5, 0.5, -0.4187, -0.0813] as const;
export const ybrPartialForward = [0.2568, 0.5041, 0.0979, -0.1482, -0.291, 0.4392, 0.4392, -0.3678, -0.0714] as const;
const ybrFullInverse = invert3(ybrFullForward);
const ybrPartialInverse = invert3(ybrPartialForward);

/** YBR_FULL → RGB in place (interleaved samples of `bits` bits). */
export function ybrFullToRgb(pixels: PixelArray, bits = 8): void {
  convert(pixels, ybrFullInverse, [0, 2 ** (bits - 1), 2 ** (bits - 1)], [0, 0, 0], bits);
}

/** YBR_PARTIAL_* (fully sampled) → RGB in place. */
export function ybrPartialToRgb(pixels: PixelArray, bits = 8): void {
  const scale = 2 ** (bits - 8);
  convert(pixels, ybrPartialInverse, [16 * scale, 2 ** (bits - 1), 2 ** (bits - 1)], [0, 0, 0], bits);
}

/** RGB → YBR_FULL in place (used to make reference data and by encoders that need YCbCr input). */
export function rgbToYbrFull(pixels: PixelArray, bits = 8): void {
  convert(pixels, ybrFullForward, [0, 0, 0], [0, 2 ** (bits - 1), 2 ** (bits - 1)], bits);
}

/** out = M · (in - inOffset) + outOffset, rounded and clamped, for every pixel. */
function convert(
  pixels: PixelArray,
  m: readonly number[],
  inOffset: number[],
  outOffset: number[],
  bits: number,
): void {
  const max = 2 ** bits - 1;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m;
  const [i0, i1, i2] = inOffset;
  const [o0, o1, o2] = outOffset;
  for (let p = 0; p + 2 < pixels.length; p += 3) {
    const a = pixels[p] - i0;
    const b = pixels[p + 1] - i1;
    const c = pixels[p + 2] - i2;
    const x = Math.round(m0 * a + m1 * b + m2 * c + o0);
    const y = Math.round(m3 * a + m4 * b + m5 * c + o1);
    const z = Math.round(m6 * a + m7 * b + m8 * c + o2);
    pixels[p] = x < 0 ? 0 : x > max ? max : x;
    pixels[p + 1] = y < 0 ? 0 : y > max ? max : y;
    pixels[p + 2] = z < 0 ? 0 : z > max ? max : z;
  }
}

/**
 * Native YBR_FULL_422 / YBR_PARTIAL_422 (PS3.3 C.7.6.3.1.2): each pair of pixels of a row is stored as
 * Y1 Y2 CB CR (planar configuration 0). Returns fully sampled interleaved Y CB CR, the chroma of a pair
 * given to both of its pixels (replication, as pydicom and dcmtk do). Columns must be even.
 */
export function upsample422<T extends PixelArray>(packed: T, rows: number, columns: number): T {
  const out = new (packed.constructor as new (n: number) => T)(rows * columns * 3);
  const pairs = (rows * columns) >> 1;
  for (let p = 0, i = 0, o = 0; p < pairs; p++, i += 4, o += 6) {
    const cb = packed[i + 2];
    const cr = packed[i + 3];
    out[o] = packed[i];
    out[o + 1] = cb;
    out[o + 2] = cr;
    out[o + 3] = packed[i + 1];
    out[o + 4] = cb;
    out[o + 5] = cr;
  }
  return out;
}
