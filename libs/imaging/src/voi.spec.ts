import { type PixelModule } from './pixel-module';
import { chooseVoi, grayscaleLut, windowFraction } from './voi';

const greyModule = (extra: Partial<PixelModule> = {}): PixelModule => ({
  rows: 1,
  columns: 4,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  bitsAllocated: 16,
  bitsStored: 16,
  highBit: 15,
  pixelRepresentation: 1,
  numberOfFrames: 1,
  windows: [],
  voiLutFunction: 'LINEAR',
  voiLuts: [],
  ...extra,
});

describe('VOI window functions (PS3.3 C.11.2.1.2, C.11.2.1.3)', () => {
  it('LINEAR: the example of C.11.2.1.2.1, center 2048 width 4096, maps 0 → 0 and 4095 → 1', () => {
    expect(windowFraction(0, 2048, 4096, 'LINEAR')).toBe(0);
    expect(windowFraction(4095, 2048, 4096, 'LINEAR')).toBe(1);
    expect(windowFraction(2047.5, 2048, 4096, 'LINEAR')).toBeCloseTo(0.5, 10);
  });

  it('LINEAR with width 1 is a threshold at center - 0.5', () => {
    expect(windowFraction(99.5, 100, 1, 'LINEAR')).toBe(0);
    expect(windowFraction(99.6, 100, 1, 'LINEAR')).toBe(1);
  });

  it('LINEAR_EXACT maps center ± width/2 onto the ends', () => {
    expect(windowFraction(-200, 0, 400, 'LINEAR_EXACT')).toBe(0);
    expect(windowFraction(100, 0, 400, 'LINEAR_EXACT')).toBe(0.75);
    expect(windowFraction(200.001, 0, 400, 'LINEAR_EXACT')).toBe(1);
  });

  it('SIGMOID is one half at the center and follows 1/(1+exp(-4(x-c)/w))', () => {
    expect(windowFraction(40, 40, 400, 'SIGMOID')).toBe(0.5);
    expect(windowFraction(140, 40, 400, 'SIGMOID')).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });
});

describe('chooseVoi and grayscaleLut', () => {
  const pixels = Int16Array.from([-2000, 0, 100, 1000]);

  it('prefers the requested window, then the first window of the data set, then the VOI LUT, then min/max', () => {
    const lut = { firstMapped: 0, bitsPerEntry: 8, data: Uint16Array.from([0, 255]) };
    const windows = [
      { center: 40, width: 400 },
      { center: 500, width: 2000 },
    ];
    expect(chooseVoi(greyModule({ windows, voiLuts: [lut] }), pixels, { center: 1, width: 2 })).toMatchObject({
      kind: 'window',
      window: { center: 1 },
    });
    expect(chooseVoi(greyModule({ windows, voiLuts: [lut] }), pixels)).toMatchObject({
      kind: 'window',
      window: { center: 40 },
    });
    expect(chooseVoi(greyModule({ voiLuts: [lut] }), pixels)).toMatchObject({ kind: 'lut' });
    // min/max leaves out the padding value
    expect(chooseVoi(greyModule({ pixelPaddingValue: -2000 }), pixels)).toMatchObject({
      kind: 'minmax',
      window: { center: 500, width: 1000 },
    });
  });

  it('refuses LINEAR windows narrower than 1 (C.11.2.1.2.1)', () => {
    expect(() => chooseVoi(greyModule(), pixels, { center: 0, width: 0.5 })).toThrow(
      expect.objectContaining({ code: 'InvalidRenderOptions' }),
    );
    expect(() => chooseVoi(greyModule(), pixels, { center: 0, width: 0.5, function: 'LINEAR_EXACT' })).not.toThrow();
  });

  it('builds one table from stored value through rescale and window, inverted for MONOCHROME1', () => {
    const pm = greyModule({ rescaleSlope: 2, rescaleIntercept: -100 });
    const choice = chooseVoi(pm, pixels, { center: 0, width: 200, function: 'LINEAR_EXACT' });
    const table = grayscaleLut(pm, choice, 0, 100, false);
    // stored 50 → modality 0 → center → 127.5 → 128; stored 0 → -100 → 0; stored 100 → 100 → 255
    expect([table[0], table[50], table[100]]).toEqual([0, 128, 255]);
    const inverted = grayscaleLut(pm, choice, 0, 100, true);
    expect([inverted[0], inverted[100]]).toEqual([255, 0]);
  });
});
