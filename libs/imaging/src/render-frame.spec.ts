import sharp from 'sharp';
import { type DecodedFrame } from './decode-frame';
import { type PixelModule } from './pixel-module';
import { renderFrame, renderPixels, renderThumbnail } from './render-frame';

const pm = (extra: Partial<PixelModule> = {}): PixelModule => ({
  rows: 40,
  columns: 100,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  bitsAllocated: 16,
  bitsStored: 12,
  highBit: 11,
  pixelRepresentation: 0,
  numberOfFrames: 1,
  windows: [],
  voiLutFunction: 'LINEAR',
  voiLuts: [],
  ...extra,
});

/** A 100 × 40 12-bit frame: value = 40 · column (0 … 3960). */
const grey = (): DecodedFrame => {
  const pixels = new Uint16Array(40 * 100);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i % 100) * 40;
  return {
    rows: 40,
    columns: 100,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    bitsAllocated: 16,
    bitsStored: 12,
    signed: false,
    pixels,
    lossy: false,
  };
};

/** Decoded pixels of a rendered grey image (sharp would expand grey to sRGB without the colourspace). */
const raw = async (image: Buffer) => {
  expect((await sharp(image).metadata()).channels).toBe(1);
  return sharp(image).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
};

describe('renderFrame', () => {
  it('writes PNG whose pixels are exactly the 8-bit rendering', async () => {
    const frame = grey();
    const png = await renderFrame(frame, pm(), { format: 'image/png', window: { center: 2000, width: 4000 } });
    const { data, info } = await raw(png);
    expect([info.width, info.height, info.channels]).toEqual([100, 40, 1]);
    expect(new Uint8Array(data)).toEqual(renderPixels(frame, pm(), { center: 2000, width: 4000 }).data);
  });

  it('fits the viewport keeping the aspect ratio (PS3.18 8.3.5.1.3)', async () => {
    const jpeg = await renderFrame(grey(), pm(), { format: 'image/jpeg', viewport: { width: 50, height: 50 } });
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 50, 20]);
  });

  it('crops the source region and flips it when sw is negative', async () => {
    // columns 10-19 (values 400 … 760), flipped: the first output column is the brightest
    const png = await renderFrame(grey(), pm(), {
      format: 'image/png',
      window: { center: 580, width: 361, function: 'LINEAR_EXACT' },
      viewport: { width: 10, height: 40, sx: 20, sy: 0, sw: -10, sh: 40 },
    });
    const { data, info } = await raw(png);
    expect([info.width, info.height]).toEqual([10, 40]);
    expect(data[0]).toBeGreaterThan(data[9]);
    expect(data[0]).toBe(255);
  });

  it('refuses a region outside the frame and an unknown ICC profile with typed errors', async () => {
    await expect(
      renderFrame(grey(), pm(), {
        format: 'image/png',
        viewport: { width: 10, height: 10, sx: 500, sy: 0, sw: 10, sh: 10 },
      }),
    ).rejects.toMatchObject({ code: 'InvalidRenderOptions' });
    await expect(renderFrame(grey(), pm(), { format: 'image/png', iccProfile: 'rommrgb' })).rejects.toMatchObject({
      code: 'InvalidRenderOptions',
    });
  });

  it('renders YBR_FULL as RGB, WebP included', async () => {
    const pixels = new Uint8Array(4 * 4 * 3);
    for (let i = 0; i < pixels.length; i += 3) pixels.set([76, 85, 255], i); // pure red in YBR_FULL
    const frame: DecodedFrame = {
      rows: 4,
      columns: 4,
      samplesPerPixel: 3,
      photometricInterpretation: 'YBR_FULL',
      bitsAllocated: 8,
      bitsStored: 8,
      signed: false,
      pixels,
      lossy: false,
    };
    const module = pm({
      rows: 4,
      columns: 4,
      samplesPerPixel: 3,
      photometricInterpretation: 'YBR_FULL',
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
    });
    expect(Array.from(renderPixels(frame, module).data.subarray(0, 3))).toEqual([254, 0, 0]);
    const webp = await renderFrame(frame, module, { format: 'image/webp', iccProfile: 'srgb' });
    expect((await sharp(webp).metadata()).format).toBe('webp');
  });

  it('makes thumbnails that fit in 128 × 128', async () => {
    const meta = await sharp(await renderThumbnail(grey(), pm())).metadata();
    expect([meta.width, meta.height]).toEqual([128, 51]);
  });
});
