import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { type DecodedFrame } from './decode-frame';
import { ImagingError } from './imaging-error';
import { lookup, type Lut } from './lut';
import { PhotometricInterpretation, type PixelModule } from './pixel-module';
import { chooseVoi, grayscaleLut, modalityFunction, voiFunction, type WindowSetting } from './voi';
import { ybrFullToRgb, ybrPartialToRgb } from './ybr';

/** Media types of rendered resources (PS3.18 8.7.4, Table 8.7.4-1) that we produce. */
export const RenderedMediaType = { JPEG: 'image/jpeg', PNG: 'image/png', WEBP: 'image/webp' } as const;
export type RenderedMediaType = (typeof RenderedMediaType)[keyof typeof RenderedMediaType];

/**
 * PS3.18 8.3.5.1.3 viewport: the rendered image fits in width × height (aspect ratio kept); the optional
 * source region sx, sy, sw, sh (in pixels of the frame) is cut out first, and a negative sw or sh flips
 * the region (it then extends left of sx / above sy).
 */
export interface Viewport {
  readonly width: number;
  readonly height: number;
  readonly sx?: number;
  readonly sy?: number;
  readonly sw?: number;
  readonly sh?: number;
}

/**
 * PS3.18 8.3.5.1.5 iccprofile: 'no' embeds none; 'yes' embeds the image's ICC Profile (0028,2000), or
 * sRGB when it has none; 'srgb' / 'displayp3' embed that profile. Pixel values are not colour-managed
 * from the image's profile into another one ('adobergb' and 'rommrgb' are refused).
 */
export type IccProfileOption = 'no' | 'yes' | 'srgb' | 'displayp3' | 'adobergb' | 'rommrgb';

export interface RenderOptions {
  /** PS3.18 8.3.5.1.4 window: replaces the data set's VOI (grey images only). */
  readonly window?: WindowSetting;
  readonly viewport?: Viewport;
  /** PS3.18 8.3.5.1.6 quality 1-100 for JPEG and WebP. Default 90. */
  readonly quality?: number;
  readonly format: RenderedMediaType;
  readonly iccProfile?: IccProfileOption;
}

/** Display-ready pixels: 8-bit, 1 (grey) or 3 (RGB) channels, row by row. */
export interface RenderedPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/**
 * PS3.3 C.11 / PS3.4 N.2 grayscale and colour pipeline down to 8-bit display values, before geometry:
 *  - grey (MONOCHROME1/2): Modality LUT or rescale (C.11.1), VOI (window or VOI LUT, C.11.2, see
 *    chooseVoi), MONOCHROME1 inverted after the VOI (C.7.6.3.1.2), all in one table indexed by stored value;
 *  - PALETTE COLOR: the red/green/blue tables (C.7.6.3.1.5) scaled from their entry size to 8 bits;
 *  - RGB as is; YBR_FULL and YBR_PARTIAL_* converted to RGB (C.7.6.3.1.2); more than 8 bits scaled down.
 */
export function renderPixels(decoded: DecodedFrame, pixelModule: PixelModule, window?: WindowSetting): RenderedPixels {
  const { rows, columns, pixels } = decoded;
  const count = rows * columns;
  const photometric = decoded.photometricInterpretation;
  if (decoded.samplesPerPixel === 1 && photometric !== PhotometricInterpretation.PALETTE_COLOR) {
    const choice = chooseVoi(pixelModule, pixels, window);
    const out = new Uint8Array(count);
    const invert = photometric === PhotometricInterpretation.MONOCHROME1;
    const { min, max } = valueRange(decoded);
    if (max - min <= 1 << 20) {
      const table = grayscaleLut(pixelModule, choice, min, max, invert);
      for (let i = 0; i < count; i++) out[i] = table[pixels[i] - min];
    } else {
      // 32-bit data with a wide range: evaluate per pixel
      const modality = modalityFunction(pixelModule);
      const voi = voiFunction(choice);
      for (let i = 0; i < count; i++) {
        const y = voi(modality(pixels[i]));
        out[i] = invert ? 255 - y : y;
      }
    }
    return { width: columns, height: rows, channels: 1, data: out };
  }
  if (photometric === PhotometricInterpretation.PALETTE_COLOR) {
    const palette = pixelModule.palette;
    if (!palette) throw new ImagingError('MissingAttribute', 'PALETTE COLOR needs the Palette Color Lookup Tables');
    const { min, max } = valueRange(decoded);
    const tables = [palette.red, palette.green, palette.blue].map((lut) => paletteTable(lut, min, max));
    const [red, green, blue] = tables;
    const out = new Uint8Array(count * 3);
    for (let i = 0, o = 0; i < count; i++, o += 3) {
      const index = pixels[i] - min;
      out[o] = red[index];
      out[o + 1] = green[index];
      out[o + 2] = blue[index];
    }
    return { width: columns, height: rows, channels: 3, data: out };
  }
  // colour
  let rgb: Uint8Array;
  const bits = decoded.bitsStored;
  if (photometric === PhotometricInterpretation.RGB && pixels instanceof Uint8Array && bits === 8) {
    rgb = pixels;
  } else {
    const work = pixels.slice();
    if (photometric === PhotometricInterpretation.YBR_FULL || photometric === PhotometricInterpretation.YBR_FULL_422) {
      ybrFullToRgb(work, bits);
    } else if (
      photometric === PhotometricInterpretation.YBR_PARTIAL_422 ||
      photometric === PhotometricInterpretation.YBR_PARTIAL_420
    ) {
      ybrPartialToRgb(work, bits);
    } else if (photometric !== PhotometricInterpretation.RGB) {
      throw new ImagingError('UnsupportedPixelData', `Rendering ${photometric} is not supported`);
    }
    rgb = new Uint8Array(work.length);
    const shift = Math.max(0, bits - 8);
    for (let i = 0; i < work.length; i++) rgb[i] = work[i] >> shift;
  }
  return { width: columns, height: rows, channels: 3, data: rgb };
}

/** Every value the frame's samples can take (Bits Stored, Pixel Representation); 32-bit: the actual range. */
function valueRange(decoded: DecodedFrame): { min: number; max: number } {
  const bits = decoded.bitsAllocated === 1 ? 1 : decoded.bitsStored;
  if (bits <= 16) {
    return decoded.signed ? { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 } : { min: 0, max: 2 ** bits - 1 };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const pixels = decoded.pixels;
  for (let i = 0; i < pixels.length; i++) {
    if (pixels[i] < min) min = pixels[i];
    if (pixels[i] > max) max = pixels[i];
  }
  return pixels.length ? { min, max } : { min: 0, max: 0 };
}

function paletteTable(lut: Lut, min: number, max: number): Uint8Array {
  const table = new Uint8Array(max - min + 1);
  const scale = 255 / (2 ** lut.bitsPerEntry - 1);
  for (let v = min; v <= max; v++) table[v - min] = Math.min(255, Math.round(lookup(lut, v) * scale));
  return table;
}

/**
 * A rendered resource (PS3.18 8.3.5 / 10.4): renderPixels, then the viewport's crop, flip and
 * aspect-preserving fit (sharp), then JPEG / PNG / WebP.
 */
export async function renderFrame(
  decoded: DecodedFrame,
  pixelModule: PixelModule,
  options: RenderOptions,
): Promise<Buffer> {
  const rendered = renderPixels(decoded, pixelModule, options.window);
  let image = sharp(Buffer.from(rendered.data.buffer, rendered.data.byteOffset, rendered.data.byteLength), {
    raw: { width: rendered.width, height: rendered.height, channels: rendered.channels },
  });
  // keep grey images one channel (libvips would otherwise write sRGB)
  if (rendered.channels === 1) image = image.toColourspace('b-w');
  const viewport = options.viewport;
  if (viewport) image = applyViewport(image, viewport, rendered.width, rendered.height);
  image = withIccProfile(image, options.iccProfile, pixelModule);
  const quality = Math.max(1, Math.min(100, Math.round(options.quality ?? 90)));
  switch (options.format) {
    case RenderedMediaType.JPEG:
      return image.jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
    case RenderedMediaType.PNG:
      return image.png({ compressionLevel: 6 }).toBuffer();
    case RenderedMediaType.WEBP:
      return image.webp({ quality }).toBuffer();
    default:
      throw new ImagingError('InvalidRenderOptions', `Rendering as ${String(options.format)} is not supported`);
  }
}

export interface ThumbnailOptions {
  /** The thumbnail fits in size × size. Default 128. */
  readonly size?: number;
  readonly format?: RenderedMediaType;
  readonly quality?: number;
}

/** PS3.18 8.3.5.1 / 10.4 thumbnail: the default rendering fitted in 128 × 128, JPEG. */
export function renderThumbnail(
  decoded: DecodedFrame,
  pixelModule: PixelModule,
  options: ThumbnailOptions = {},
): Promise<Buffer> {
  const size = options.size ?? 128;
  return renderFrame(decoded, pixelModule, {
    format: options.format ?? RenderedMediaType.JPEG,
    quality: options.quality ?? 75,
    viewport: { width: size, height: size },
  });
}

function applyViewport(image: Sharp, viewport: Viewport, columns: number, rows: number): Sharp {
  const { width, height } = viewport;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new ImagingError('InvalidRenderOptions', `Viewport ${width},${height} must be positive integers`);
  }
  const region =
    viewport.sx !== undefined || viewport.sy !== undefined || viewport.sw !== undefined || viewport.sh !== undefined;
  if (region) {
    const sx = viewport.sx ?? 0;
    const sy = viewport.sy ?? 0;
    const sw = viewport.sw ?? columns - sx;
    const sh = viewport.sh ?? rows - sy;
    const left = Math.max(0, Math.round(sw < 0 ? sx + sw : sx));
    const top = Math.max(0, Math.round(sh < 0 ? sy + sh : sy));
    const right = Math.min(columns, Math.round(sw < 0 ? sx : sx + sw));
    const bottom = Math.min(rows, Math.round(sh < 0 ? sy : sy + sh));
    if (right <= left || bottom <= top) {
      throw new ImagingError(
        'InvalidRenderOptions',
        `Viewport region ${sx},${sy},${sw},${sh} is outside the ${columns}×${rows} frame`,
      );
    }
    image = image.extract({ left, top, width: right - left, height: bottom - top });
    if (sw < 0) image = image.flop();
    if (sh < 0) image = image.flip();
  }
  return image.resize({ width, height, fit: 'inside', kernel: 'lanczos3' });
}

const iccFiles = new Map<string, string>();

function withIccProfile(image: Sharp, option: IccProfileOption | undefined, pm: PixelModule): Sharp {
  switch (option ?? 'no') {
    case 'no':
      return image;
    case 'srgb':
      return image.withIccProfile('srgb');
    case 'displayp3':
      return image.withIccProfile('p3');
    case 'yes': {
      if (!pm.iccProfile) return image.withIccProfile('srgb');
      // sharp takes profiles by path: keep each distinct profile once in the temp directory
      const key = createHash('sha256').update(pm.iccProfile).digest('hex');
      let path = iccFiles.get(key);
      if (!path) {
        path = join(tmpdir(), `pacs-icc-${key}.icc`);
        writeFileSync(path, pm.iccProfile);
        iccFiles.set(key, path);
      }
      return image.withIccProfile(path);
    }
    default:
      throw new ImagingError(
        'InvalidRenderOptions',
        `ICC profile ${option} is not supported (no, yes, srgb, displayp3)`,
      );
  }
}
