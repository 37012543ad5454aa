import { ImagingError } from './imaging-error';
import { lookup, type Lut } from './lut';
import { type PixelArray } from './pixel-array';
import { type PixelModule, type VoiLutFunction } from './pixel-module';

/** A window to apply (C.11.2.1.2): center and width in modality units, and the VOI LUT Function. */
export interface WindowSetting {
  readonly center: number;
  readonly width: number;
  readonly function?: VoiLutFunction;
}

/**
 * The VOI window functions of PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1
 * (SIGMOID), as the fraction of the output range (0 = y_min, 1 = y_max):
 *
 *   LINEAR:        x ≤ c - 0.5 - (w-1)/2 → 0;  x > c - 0.5 + (w-1)/2 → 1;  else ((x - (c - 0.5)) / (w-1) + 0.5)
 *   LINEAR_EXACT:  x ≤ c - w/2 → 0;  x > c + w/2 → 1;  else (x - c)/w + 0.5
 *   SIGMOID:       1 / (1 + exp(-4 (x - c) / w))
 */
export function windowFraction(x: number, center: number, width: number, fn: VoiLutFunction): number {
  if (fn === 'LINEAR') {
    if (x <= center - 0.5 - (width - 1) / 2) return 0;
    if (x > center - 0.5 + (width - 1) / 2) return 1;
    return (x - (center - 0.5)) / (width - 1) + 0.5;
  }
  if (fn === 'LINEAR_EXACT') {
    if (x <= center - width / 2) return 0;
    if (x > center + width / 2) return 1;
    return (x - center) / width + 0.5;
  }
  return 1 / (1 + Math.exp((-4 * (x - center)) / width));
}

/** C.11.2.1.2.1: LINEAR needs Window Width ≥ 1; C.11.2.1.3: LINEAR_EXACT and SIGMOID need it > 0. */
export function checkWindow(window: WindowSetting): void {
  const fn = window.function ?? 'LINEAR';
  if (!Number.isFinite(window.center) || !Number.isFinite(window.width)) {
    throw new ImagingError(
      'InvalidRenderOptions',
      `Window center ${window.center} and width ${window.width} must be numbers`,
    );
  }
  if (fn === 'LINEAR' ? window.width < 1 : window.width <= 0) {
    throw new ImagingError(
      'InvalidRenderOptions',
      `Window width ${window.width} is not allowed with ${fn} (PS3.3 C.11.2.1.2)`,
    );
  }
}

/** The modality value of a stored value: Modality LUT if present, else rescale (C.11.1). */
export function modalityFunction(pm: PixelModule): (stored: number) => number {
  const lut = pm.modalityLut;
  if (lut) return (stored) => lookup(lut, stored);
  const slope = pm.rescaleSlope ?? 1;
  const intercept = pm.rescaleIntercept ?? 0;
  return (stored) => stored * slope + intercept;
}

/** How grey values become 8-bit display values, chosen from the request and the data set. */
export type VoiChoice =
  | { readonly kind: 'window'; readonly window: WindowSetting }
  | { readonly kind: 'lut'; readonly lut: Lut }
  | { readonly kind: 'minmax'; readonly window: WindowSetting };

/**
 * The VOI transform: the requested window; else the data set's first Window Center/Width (with its VOI
 * LUT Function); else its first VOI LUT Sequence item; else the frame's own range of modality values
 * (Pixel Padding Value and range excluded), mapped with LINEAR_EXACT so that min → 0 and max → 255.
 */
export function chooseVoi(pm: PixelModule, pixels: PixelArray, requested?: WindowSetting): VoiChoice {
  if (requested) {
    checkWindow(requested);
    return { kind: 'window', window: { function: 'LINEAR', ...requested } };
  }
  const first = pm.windows.find((w) => (pm.voiLutFunction === 'LINEAR' ? w.width >= 1 : w.width > 0));
  if (first)
    return { kind: 'window', window: { center: first.center, width: first.width, function: pm.voiLutFunction } };
  if (pm.voiLuts.length > 0) return { kind: 'lut', lut: pm.voiLuts[0] };
  const { min, max } = storedRange(pm, pixels);
  const modality = modalityFunction(pm);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of [min, max]) {
    const m = modality(v);
    if (m < lo) lo = m;
    if (m > hi) hi = m;
  }
  if (pm.modalityLut) {
    // a LUT need not be monotonic: take the range of its output over the stored range
    for (let v = min; v <= max && max - min <= 65536; v++) {
      const m = modality(v);
      if (m < lo) lo = m;
      if (m > hi) hi = m;
    }
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  return {
    kind: 'minmax',
    window: { center: (lo + hi) / 2, width: Math.max(hi - lo, 1e-6), function: 'LINEAR_EXACT' },
  };
}

/** The smallest and largest stored value of the frame, padding excluded (C.7.5.1.1.2). */
export function storedRange(pm: PixelModule, pixels: PixelArray): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const padding = pm.pixelPaddingValue;
  if (padding === undefined) {
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  } else {
    const limit = pm.pixelPaddingRangeLimit ?? padding;
    const lo = Math.min(padding, limit);
    const hi = Math.max(padding, limit);
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i];
      if (v >= lo && v <= hi) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (!Number.isFinite(min)) return { min: 0, max: 0 };
  return { min, max };
}

/**
 * The 8-bit display value of a modality value: the VOI output as a fraction of its range, times 255,
 * rounded to the nearest integer (C.11.2: y_min = 0, y_max = 255 for an 8-bit display).
 */
export function voiFunction(choice: VoiChoice): (modality: number) => number {
  if (choice.kind === 'lut') {
    const lut = choice.lut;
    const scale = 255 / (2 ** lut.bitsPerEntry - 1);
    return (m) => Math.min(255, Math.round(lookup(lut, m) * scale));
  }
  const { center, width } = choice.window;
  const fn = choice.window.function ?? 'LINEAR';
  return (m) => Math.round(windowFraction(m, center, width, fn) * 255);
}

/**
 * A table from stored value to 8-bit display value over [min, max]: modality LUT or rescale, VOI,
 * MONOCHROME1 inversion. Index with `stored - min`. Building it costs one evaluation per possible
 * value (65 536 for 16 bits, well under a millisecond) and saves one per pixel.
 */
export function grayscaleLut(
  pm: PixelModule,
  choice: VoiChoice,
  min: number,
  max: number,
  invert: boolean,
): Uint8Array {
  const table = new Uint8Array(max - min + 1);
  if (!pm.modalityLut && choice.kind !== 'lut') {
    rescaleWindowLut(table, pm.rescaleSlope ?? 1, pm.rescaleIntercept ?? 0, choice.window, min);
  } else {
    const modality = modalityFunction(pm);
    const voi = voiFunction(choice);
    for (let v = min; v <= max; v++) table[v - min] = voi(modality(v));
  }
  if (invert) for (let i = 0; i < table.length; i++) table[i] = 255 - table[i];
  return table;
}

/** The common case (rescale, then a window) without a function call per entry: the same formulas as windowFraction. */
function rescaleWindowLut(
  table: Uint8Array,
  slope: number,
  intercept: number,
  window: WindowSetting,
  min: number,
): void {
  const { center: c, width: w } = window;
  const n = table.length;
  switch (window.function ?? 'LINEAR') {
    case 'LINEAR': {
      const low = c - 0.5 - (w - 1) / 2;
      const high = c - 0.5 + (w - 1) / 2;
      for (let i = 0; i < n; i++) {
        const x = (i + min) * slope + intercept;
        table[i] = x <= low ? 0 : x > high ? 255 : Math.round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255);
      }
      break;
    }
    case 'LINEAR_EXACT': {
      const low = c - w / 2;
      const high = c + w / 2;
      for (let i = 0; i < n; i++) {
        const x = (i + min) * slope + intercept;
        table[i] = x <= low ? 0 : x > high ? 255 : Math.round(((x - c) / w + 0.5) * 255);
      }
      break;
    }
    default:
      for (let i = 0; i < n; i++) {
        const x = (i + min) * slope + intercept;
        table[i] = Math.round(255 / (1 + Math.exp((-4 * (x - c)) / w)));
      }
  }
}
