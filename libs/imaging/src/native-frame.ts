import { ImagingError } from './imaging-error';
import { allocatePixels, interleavePlanes, type PixelArray, unsignedView } from './pixel-array';

/** Bytes of one native frame (PS3.5 8.1.1); 1-bit frames are counted in bits, see nativeFrameBits. */
export function nativeFrameLength(
  rows: number,
  columns: number,
  samplesPerPixel: number,
  bitsAllocated: number,
  subsampled422 = false,
): number {
  const samples = subsampled422 ? rows * columns * 2 : rows * columns * samplesPerPixel;
  return Math.ceil((samples * bitsAllocated) / 8);
}

export interface NativeLayout {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly signed: boolean;
  readonly planarConfiguration: 0 | 1;
  /** YBR_FULL_422 / YBR_PARTIAL_422: two samples per pixel in the data (Y1 Y2 CB CR). */
  readonly subsampled422: boolean;
  readonly bigEndian: boolean;
  /** 1-bit data: the bit of the first byte where the frame starts (frames are packed without padding). */
  readonly bitOffset: number;
}

/**
 * Raw samples of a native frame in host order, interleaved (planar configuration 1 is interleaved here),
 * still with whatever is in the bits above High Bit. YBR 4:2:2 data stays in its packed Y1 Y2 CB CR form.
 */
export function readNativeSamples(bytes: Uint8Array, layout: NativeLayout): PixelArray {
  const { rows, columns, samplesPerPixel, bitsAllocated, signed } = layout;
  const count = layout.subsampled422 ? rows * columns * 2 : rows * columns * samplesPerPixel;
  if (bitsAllocated === 1) {
    const bitsNeeded = layout.bitOffset + count;
    if (bytes.length * 8 < bitsNeeded) throw short(bytes.length, Math.ceil(bitsNeeded / 8));
    // PS3.5 8.1.1 / Annex D: the first pixel in the least significant bit of the first byte
    const out = new Uint8Array(count);
    for (let i = 0, bit = layout.bitOffset; i < count; i++, bit++) out[i] = (bytes[bit >> 3] >> (bit & 7)) & 1;
    return out;
  }
  const bytesPerSample = bitsAllocated / 8;
  const length = count * bytesPerSample;
  if (bytes.length < length) throw short(bytes.length, length);
  const out = allocatePixels(bitsAllocated, signed, count);
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  outBytes.set(bytes.subarray(0, length)); // copy: aligned, and decoupled from the caller's buffer
  if (layout.bigEndian && bytesPerSample > 1) {
    // PS3.5 A.3: OW words are big endian; OB (8-bit) data is byte order independent
    if (bytesPerSample === 2) {
      for (let i = 0; i < length; i += 2) {
        const t = outBytes[i];
        outBytes[i] = outBytes[i + 1];
        outBytes[i + 1] = t;
      }
    } else {
      for (let i = 0; i < length; i += 4) {
        let t = outBytes[i];
        outBytes[i] = outBytes[i + 3];
        outBytes[i + 3] = t;
        t = outBytes[i + 1];
        outBytes[i + 1] = outBytes[i + 2];
        outBytes[i + 2] = t;
      }
    }
  }
  if (layout.planarConfiguration === 1 && samplesPerPixel > 1 && !layout.subsampled422) {
    return interleavePlanes(out, samplesPerPixel);
  }
  return out;
}

/**
 * Native bytes (little endian unless `bigEndian`) of interleaved samples: what Explicit VR Little Endian
 * Pixel Data holds for this frame. 1-bit samples are packed LSB first; the frame then starts at bit 0.
 */
export function writeNativeSamples(pixels: PixelArray, bitsAllocated: number, bigEndian = false): Buffer {
  if (bitsAllocated === 1) {
    const out = Buffer.alloc(Math.ceil(pixels.length / 8));
    for (let i = 0; i < pixels.length; i++) if (pixels[i] & 1) out[i >> 3] |= 1 << (i & 7);
    return out;
  }
  const raw = unsignedView(pixels);
  const out = Buffer.from(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (bigEndian && raw.BYTES_PER_ELEMENT === 2) out.swap16();
  if (bigEndian && raw.BYTES_PER_ELEMENT === 4) out.swap32();
  return out;
}

const short = (got: number, expected: number): ImagingError =>
  new ImagingError('CorruptPixelData', `The native frame has ${got} bytes; ${expected} expected (PS3.5 8.1.1)`);
