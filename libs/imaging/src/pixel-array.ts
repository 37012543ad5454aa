/** Samples of one frame, always interleaved (R G B R G B …), one element per sample. */
export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/**
 * A typed array for `length` samples in a container of `bitsAllocated` bits. 1-bit pixels get one byte
 * each (0 or 1); everything else keeps its allocated width so no value is widened or narrowed.
 */
export function allocatePixels(bitsAllocated: number, signed: boolean, length: number): PixelArray {
  if (bitsAllocated <= 8) return signed ? new Int8Array(length) : new Uint8Array(length);
  if (bitsAllocated <= 16) return signed ? new Int16Array(length) : new Uint16Array(length);
  return signed ? new Int32Array(length) : new Uint32Array(length);
}

/** The same memory seen as unsigned samples of the same width (to read raw bit patterns). */
export function unsignedView(pixels: PixelArray): Uint8Array | Uint16Array | Uint32Array {
  if (pixels instanceof Uint8Array || pixels instanceof Uint16Array || pixels instanceof Uint32Array) return pixels;
  if (pixels instanceof Int8Array) return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  if (pixels instanceof Int16Array) return new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length);
  return new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length);
}

/**
 * PS3.5 8.1.1 and PS3.3 C.7.6.3.1.1: only the Bits Stored bits ending at High Bit are pixel data; what is
 * above High Bit (or below the lowest stored bit) is not, and may be anything. This keeps the stored bits,
 * moves them down when High Bit > Bits Stored - 1, and sign-extends from the top stored bit when the
 * data is two's complement. `pixels` must be of the signedness wanted; it is changed in place.
 */
export function normalizeStoredBits(pixels: PixelArray, bitsStored: number, signed: boolean, shift = 0): void {
  const containerBits = pixels.BYTES_PER_ELEMENT * 8;
  if (bitsStored >= containerBits && shift === 0) return; // every bit is a stored bit
  const raw = unsignedView(pixels);
  const n = raw.length;
  if (signed) {
    const up = 32 - bitsStored;
    if (shift === 0) {
      for (let i = 0; i < n; i++) pixels[i] = (raw[i] << up) >> up;
    } else {
      for (let i = 0; i < n; i++) pixels[i] = ((raw[i] >>> shift) << up) >> up;
    }
  } else {
    const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
    if (shift === 0) {
      for (let i = 0; i < n; i++) raw[i] = raw[i] & mask;
    } else {
      for (let i = 0; i < n; i++) raw[i] = (raw[i] >>> shift) & mask;
    }
  }
}

/** Interleaves planar samples (PS3.3 C.7.6.3.1.3, Planar Configuration 1: RRR…GGG…BBB…). */
export function interleavePlanes<T extends PixelArray>(planar: T, samplesPerPixel: number): T {
  const pixels = planar.length / samplesPerPixel;
  const out = new (planar.constructor as new (n: number) => T)(planar.length);
  for (let s = 0; s < samplesPerPixel; s++) {
    const base = s * pixels;
    for (let i = 0, o = s; i < pixels; i++, o += samplesPerPixel) out[o] = planar[base + i];
  }
  return out;
}

/** The inverse of interleavePlanes: one plane per sample. */
export function separatePlanes<T extends PixelArray>(interleaved: T, samplesPerPixel: number): T {
  const pixels = interleaved.length / samplesPerPixel;
  const out = new (interleaved.constructor as new (n: number) => T)(interleaved.length);
  for (let s = 0; s < samplesPerPixel; s++) {
    const base = s * pixels;
    for (let i = 0, o = s; i < pixels; i++, o += samplesPerPixel) out[base + i] = interleaved[o];
  }
  return out;
}
