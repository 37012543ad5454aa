import { decodeRle, encodeRle } from './rle';

/** An RLE frame: the 64-byte header of PS3.5 G.4 followed by the segments. */
function rleFrame(segments: number[][]): Uint8Array {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let offset = 64;
  segments.forEach((segment, i) => {
    header.writeUInt32LE(offset, 4 + 4 * i);
    offset += segment.length;
  });
  return new Uint8Array(Buffer.concat([header, ...segments.map((s) => Buffer.from(s))]));
}

// The PackBits example that PS3.5 G.3 builds on (TIFF 6.0, section 9): 24 bytes and their 15-byte coding.
const unpacked = [
  0xaa,
  0xaa,
  0xaa,
  0x80,
  0x00,
  0x2a,
  0xaa,
  0xaa,
  0xaa,
  0xaa,
  0x80,
  0x00,
  0x2a,
  0x22,
  ...Array(10).fill(0xaa),
];
const packed = [0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa];

describe('RLE Lossless (PS3.5 Annex G)', () => {
  it('decodes the PackBits example: replicate runs, literal runs', () => {
    const pixels = decodeRle(rleFrame([[...packed, 0]]), 1, 24, 1, 8, false);
    expect(Array.from(pixels)).toEqual(unpacked);
  });

  it('encodes the PackBits example to the same 15 bytes, padded to an even segment length', () => {
    const encoded = encodeRle(Uint8Array.from(unpacked), 1, 24, 1);
    expect(encoded.readUInt32LE(0)).toBe(1);
    expect(encoded.readUInt32LE(4)).toBe(64);
    expect(Array.from(encoded.subarray(64))).toEqual([...packed, 0]);
  });

  it('ignores the no-operation header byte -128', () => {
    const pixels = decodeRle(rleFrame([[0x80, 0x01, 0x05, 0x06]]), 1, 2, 1, 8, false);
    expect(Array.from(pixels)).toEqual([5, 6]);
  });

  it('orders segments by sample, most significant byte first (G.2): 16-bit RGB has six', () => {
    // one pixel R = 0x0102, G = 0x0304, B = 0x0506: segments R-high, R-low, G-high, G-low, B-high, B-low
    const frame = rleFrame([
      [0, 0x01],
      [0, 0x02],
      [0, 0x03],
      [0, 0x04],
      [0, 0x05],
      [0, 0x06],
    ]);
    expect(Array.from(decodeRle(frame, 1, 1, 3, 16, false))).toEqual([0x0102, 0x0304, 0x0506]);
    const encoded = encodeRle(Uint16Array.from([0x0102, 0x0304, 0x0506]), 1, 1, 3);
    expect(encoded.readUInt32LE(0)).toBe(6);
    expect(Array.from(encoded.subarray(64))).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]);
  });

  it('never lets a run cross the end of a row (G.3.1)', () => {
    // rows [7 7 7 7] [7 7 7 7]: two replicate runs of 4, not one of 8
    const encoded = encodeRle(new Uint8Array(8).fill(7), 2, 4, 1);
    expect(Array.from(encoded.subarray(64))).toEqual([0xfd, 7, 0xfd, 7]);
  });

  it('round-trips signed 16-bit samples with long literal and replicate runs', () => {
    const pixels = new Int16Array(3 * 300);
    for (let i = 0; i < pixels.length; i++) pixels[i] = i % 300 < 150 ? -1234 : ((i * 7919) % 65536) - 32768;
    const decoded = decodeRle(new Uint8Array(encodeRle(pixels, 3, 300, 1)), 3, 300, 1, 16, true);
    expect(decoded).toEqual(pixels);
  });

  it('rejects a header with the wrong number of segments and a truncated segment with typed errors', () => {
    expect(() => decodeRle(rleFrame([[0, 1]]), 1, 1, 3, 8, false)).toThrow(
      expect.objectContaining({ code: 'CorruptPixelData' }),
    );
    expect(() => decodeRle(rleFrame([[0xfd, 1]]), 1, 8, 1, 8, false)).toThrow(
      expect.objectContaining({ code: 'CorruptPixelData' }),
    );
    expect(() => decodeRle(new Uint8Array(10), 1, 1, 1, 8, false)).toThrow(
      expect.objectContaining({ code: 'CorruptPixelData' }),
    );
  });
});
