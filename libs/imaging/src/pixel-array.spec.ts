import { interleavePlanes, normalizeStoredBits, separatePlanes } from './pixel-array';

describe('normalizeStoredBits (PS3.5 8.1.1)', () => {
  it('drops whatever is above High Bit of unsigned 12-in-16 data', () => {
    const pixels = Uint16Array.from([0xf123, 0x0fff, 0xa000]);
    normalizeStoredBits(pixels, 12, false);
    expect(Array.from(pixels)).toEqual([0x123, 0xfff, 0x000]);
  });

  it('sign-extends two-s complement 12-in-16 data from bit 11, whatever bits 12-15 hold', () => {
    const pixels = Int16Array.from([0x0800, 0x07ff, 0x5fff, -0x7001 /* 0x8fff */]);
    normalizeStoredBits(pixels, 12, true);
    expect(Array.from(pixels)).toEqual([-2048, 2047, -1, -1]);
  });

  it('moves the stored bits down when High Bit is above Bits Stored - 1', () => {
    // Bits Stored 12, High Bit 15: the value is in bits 4-15
    const pixels = Uint16Array.from([0xabc5]);
    normalizeStoredBits(pixels, 12, false, 4);
    expect(Array.from(pixels)).toEqual([0xabc]);
  });

  it('leaves full-width data alone', () => {
    const pixels = Int32Array.from([-5, 2147483647]);
    normalizeStoredBits(pixels, 32, true);
    expect(Array.from(pixels)).toEqual([-5, 2147483647]);
  });
});

describe('planar configuration (PS3.3 C.7.6.3.1.3)', () => {
  it('interleaves RRR GGG BBB into RGB RGB RGB and back', () => {
    const planar = Uint8Array.from([1, 2, 3, 10, 20, 30, 100, 200, 250]);
    const interleaved = interleavePlanes(planar, 3);
    expect(Array.from(interleaved)).toEqual([1, 10, 100, 2, 20, 200, 3, 30, 250]);
    expect(separatePlanes(interleaved, 3)).toEqual(planar);
  });
});
