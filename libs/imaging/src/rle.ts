import { ImagingError } from './imaging-error';
import { allocatePixels, type PixelArray, unsignedView } from './pixel-array';

/*
 * RLE Lossless (PS3.5 Annex G).
 *
 * G.4 header: 64 bytes of little-endian UL: the number of segments (≤ 15), then 15 segment offsets
 * from the start of the header (unused ones 0). G.2 segment order: for each sample, one segment per byte
 * of the composite pixel code, most significant byte first, so 16-bit RGB is
 * R-high, R-low, G-high, G-low, B-high, B-low. Each segment holds its byte of every pixel of the frame,
 * rows one after another, PackBits-coded (G.3.1): a header byte n
 *    0 ≤ n ≤ 127  → copy the next n + 1 bytes literally
 *   -127 ≤ n ≤ -1 → repeat the next byte -n + 1 times
 *   n = -128      → nothing (skip)
 * A run never crosses the end of a row, and every segment has an even length (padded with a zero byte).
 */

const headerLength = 64;

/** Decodes one RLE frame to interleaved samples of `bitsAllocated` bits (raw bit patterns, not masked). */
export function decodeRle(
  bytes: Uint8Array,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  bitsAllocated: number,
  signed: boolean,
): PixelArray {
  if (bitsAllocated % 8 !== 0) {
    throw new ImagingError(
      'UnsupportedPixelData',
      `RLE Lossless with Bits Allocated ${bitsAllocated} is not supported`,
    );
  }
  const bytesPerSample = bitsAllocated / 8;
  const expectedSegments = samplesPerPixel * bytesPerSample;
  if (bytes.length < headerLength)
    throw corrupt(`the frame is ${bytes.length} bytes, shorter than the 64-byte RLE header`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, headerLength);
  const segmentCount = header.getUint32(0, true);
  if (segmentCount !== expectedSegments) {
    throw corrupt(`the RLE header announces ${segmentCount} segments; ${expectedSegments} expected (G.2)`);
  }
  const offsets: number[] = [];
  for (let s = 0; s < segmentCount; s++) offsets.push(header.getUint32(4 + 4 * s, true));
  offsets.push(bytes.length);

  const pixelCount = rows * columns;
  const out = allocatePixels(bitsAllocated, signed, pixelCount * samplesPerPixel);
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const stride = samplesPerPixel * bytesPerSample;
  for (let segment = 0; segment < segmentCount; segment++) {
    const start = offsets[segment];
    const end = Math.min(offsets[segment + 1] >= start ? offsets[segment + 1] : bytes.length, bytes.length);
    if (start < headerLength || start > bytes.length) throw corrupt(`segment ${segment + 1} starts at ${start}`);
    const sample = Math.floor(segment / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample); // little-endian position
    let o = sample * bytesPerSample + byteInSample;
    let produced = 0;
    let i = start;
    while (produced < pixelCount && i < end) {
      const n = bytes[i++];
      if (n < 128) {
        const count = Math.min(n + 1, pixelCount - produced, end - i);
        for (let k = 0; k < count; k++, o += stride) outBytes[o] = bytes[i + k];
        i += n + 1;
        produced += count;
      } else if (n > 128) {
        const count = Math.min(257 - n, pixelCount - produced);
        const value = bytes[i++];
        for (let k = 0; k < count; k++, o += stride) outBytes[o] = value;
        produced += count;
      }
      // n === 128 (-128): no operation
    }
    if (produced < pixelCount) throw corrupt(`segment ${segment + 1} decodes to ${produced} of ${pixelCount} bytes`);
  }
  return out;
}

/** Encodes one frame of interleaved samples as RLE Lossless (PS3.5 Annex G). */
export function encodeRle(pixels: PixelArray, rows: number, columns: number, samplesPerPixel: number): Buffer {
  const raw = unsignedView(pixels);
  const bytesPerSample = raw.BYTES_PER_ELEMENT;
  const segmentCount = samplesPerPixel * bytesPerSample;
  if (segmentCount > 15)
    throw new ImagingError('UnsupportedPixelData', `RLE needs ${segmentCount} segments; at most 15 exist (G.4)`);
  const src = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const stride = samplesPerPixel * bytesPerSample;
  const row = new Uint8Array(columns);
  const segments: Buffer[] = [];
  // Worst case PackBits output: one header byte per 128 literal bytes, plus one per row.
  const scratch = new Uint8Array(columns + Math.ceil(columns / 128) + 2);
  for (let segment = 0; segment < segmentCount; segment++) {
    const sample = Math.floor(segment / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample);
    const chunks: Buffer[] = [];
    let length = 0;
    for (let r = 0; r < rows; r++) {
      let s = (r * columns * samplesPerPixel + sample) * bytesPerSample + byteInSample;
      for (let c = 0; c < columns; c++, s += stride) row[c] = src[s];
      const n = packBitsRow(row, scratch);
      chunks.push(Buffer.from(scratch.subarray(0, n)));
      length += n;
    }
    if (length % 2 === 1) chunks.push(Buffer.alloc(1)); // G.3.1: even length, zero padded
    segments.push(Buffer.concat(chunks));
  }
  const header = Buffer.alloc(headerLength);
  header.writeUInt32LE(segmentCount, 0);
  let offset = headerLength;
  for (let s = 0; s < segmentCount; s++) {
    header.writeUInt32LE(offset, 4 + 4 * s);
    offset += segments[s].length;
  }
  return Buffer.concat([header, ...segments]);
}

/**
 * PackBits of one row into `out`; returns the number of bytes written. Runs of 3 or more equal bytes
 * become replicate runs (G.3.1 recommends not to replicate shorter runs inside literals); at most 128
 * bytes per run.
 */
function packBitsRow(row: Uint8Array, out: Uint8Array): number {
  const n = row.length;
  let o = 0;
  let i = 0;
  let literalStart = 0;
  const flushLiteral = (end: number): void => {
    let start = literalStart;
    while (start < end) {
      const count = Math.min(128, end - start);
      out[o++] = count - 1;
      for (let k = 0; k < count; k++) out[o++] = row[start + k];
      start += count;
    }
  };
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && row[i + run] === row[i]) run++;
    if (run >= 3 || (run === 2 && i === literalStart && i + 2 >= n)) {
      flushLiteral(i);
      out[o++] = 257 - run; // -(run - 1) as a byte
      out[o++] = row[i];
      i += run;
      literalStart = i;
    } else {
      i += run;
    }
  }
  flushLiteral(n);
  return o;
}

const corrupt = (why: string): ImagingError => new ImagingError('CorruptPixelData', `RLE Lossless: ${why}`);
