import { frameByteRanges, looksLikeFrameStart } from './frame-index';
import { Part10Error } from './part10-error';

describe('frameByteRanges', () => {
  const scan = {
    pixelData: {
      tag: '7FE00010',
      vr: 'OB',
      offset: 100,
      encapsulated: true,
      basicOffsetTable: [],
      fragments: [],
      frames: [
        { ranges: [{ offset: 108, length: 10 }] },
        {
          ranges: [
            { offset: 126, length: 4 },
            { offset: 138, length: 6 },
          ],
        },
      ],
    },
  };
  it('gives the ranges of frames by 1-based number, in the order asked', () => {
    expect(frameByteRanges(scan, [2, 1])).toEqual([scan.pixelData.frames[1], scan.pixelData.frames[0]]);
  });
  it.each([[0], [3], [1.5]])('refuses frame %d with NoSuchFrame', (n) => {
    expect(() => frameByteRanges(scan, [n])).toThrow(Part10Error);
    expect(() => frameByteRanges(scan, [n])).toThrow(expect.objectContaining({ code: 'NoSuchFrame' }));
  });
  it('refuses any frame of an instance without pixel data', () => {
    expect(() => frameByteRanges({}, [1])).toThrow(expect.objectContaining({ code: 'NoSuchFrame' }));
  });
});

describe('looksLikeFrameStart', () => {
  it.each([
    ['JPEG SOI', [0xff, 0xd8, 0xff, 0xe0]],
    ['JPEG-LS SOI', [0xff, 0xd8, 0xff, 0xf7]],
    ['JPEG 2000 SOC', [0xff, 0x4f, 0xff, 0x51]],
    ['JP2 signature box', [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]],
    ['RLE header', [3, 0, 0, 0, 64, 0, 0, 0]],
  ])('recognises a %s', (_name, bytes) => expect(looksLikeFrameStart(Uint8Array.from(bytes))).toBe(true));
  it.each([
    ['entropy-coded data', [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]],
    ['an RLE header with 16 segments', [16, 0, 0, 0, 64, 0, 0, 0]],
    ['a short fragment', [0xff]],
  ])('does not take %s for a frame start', (_name, bytes) =>
    expect(looksLikeFrameStart(Uint8Array.from(bytes))).toBe(false),
  );
});
