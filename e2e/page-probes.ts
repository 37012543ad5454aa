// What the test reads from the page: the pixels the viewer drew, never the DOM's claims about them.
// Each probe runs inside the page (page.evaluate serializes the function's source), so it is self-contained:
// no imports, no helpers from this module, nothing captured.

/** Statistics of drawn pixels (RGBA, luminance 0–255). */
export interface PixelStats {
  readonly width: number;
  readonly height: number;
  /** FNV-1a of the RGBA bytes: equal images have equal hashes. */
  readonly hash: string;
  readonly meanLuminance: number;
  readonly stdLuminance: number;
  /** Share of pixels with luminance above 8 (not black). */
  readonly nonBlackFraction: number;
  /** Number of distinct luminance values. */
  readonly distinctLevels: number;
}

/** An image, not a blank, a flat color or a loading screen: varied gray levels over a good part of it. */
export function looksLikeAnImage(stats: PixelStats | null | undefined): boolean {
  return (
    stats !== null &&
    stats !== undefined &&
    stats.nonBlackFraction > 0.05 &&
    stats.distinctLevels >= 16 &&
    stats.stdLuminance > 10
  );
}

// The few DOM types the probes use, declared here: the repository compiles without the DOM library.
interface ImageDataLike {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}
interface Context2dLike {
  getImageData(x: number, y: number, width: number, height: number): ImageDataLike;
  drawImage(image: unknown, x: number, y: number): void;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): Context2dLike | null;
}
interface ImageLike {
  readonly src: string;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  decode(): Promise<void>;
}
interface ElementLike {
  querySelector(selector: string): unknown;
}
interface DocumentLike {
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): Iterable<ElementLike>;
  createElement(tag: 'canvas'): CanvasLike;
}

/** What probePixels reads: the main viewport's canvas, or every series thumbnail of the study browser. */
export type PixelTarget = 'viewport' | 'thumbnails';

/**
 * The pixels of the main viewport's canvas (cornerstone draws each viewport into a 2D canvas of class
 * cornerstone-canvas), or of every series thumbnail of the study browser (an <img> per series, whatever its
 * source: a data: URL drawn from a WADO-RS frame, or a blob: URL of the server's thumbnail). An element not
 * there yet, or not loaded, is reported as null.
 */
export async function probePixels(target: PixelTarget): Promise<(PixelStats | null)[]> {
  const document = (globalThis as unknown as { document: DocumentLike }).document;
  const statsOf = (context: Context2dLike, canvas: CanvasLike): PixelStats => {
    const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
    let hash = 0x811c9dc5;
    const histogram = new Uint32Array(256);
    let sum = 0;
    let sumSquares = 0;
    let nonBlack = 0;
    for (let i = 0; i < data.length; i += 4) {
      for (let k = 0; k < 4; k++) hash = Math.imul(hash ^ data[i + k], 0x01000193);
      const luminance = Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
      histogram[luminance]++;
      sum += luminance;
      sumSquares += luminance * luminance;
      if (luminance > 8) nonBlack++;
    }
    const pixels = width * height;
    const mean = sum / pixels;
    return {
      width,
      height,
      hash: (hash >>> 0).toString(16).padStart(8, '0'),
      meanLuminance: mean,
      stdLuminance: Math.sqrt(Math.max(0, sumSquares / pixels - mean * mean)),
      nonBlackFraction: nonBlack / pixels,
      distinctLevels: histogram.filter((n) => n > 0).length,
    };
  };

  if (target === 'viewport') {
    const canvas = (document.querySelector('[data-cy="viewport-pane"] canvas.cornerstone-canvas') ??
      document.querySelector('canvas.cornerstone-canvas')) as CanvasLike | null;
    const context = canvas && canvas.width > 0 && canvas.height > 0 ? canvas.getContext('2d') : null;
    return [canvas && context ? statsOf(context, canvas) : null];
  }

  const thumbnails = [...document.querySelectorAll('[data-cy="study-browser-thumbnail"]')];
  return Promise.all(
    thumbnails.map(async (thumbnail) => {
      const img = thumbnail.querySelector('img') as ImageLike | null;
      if (!img || !img.src) return null;
      try {
        await img.decode();
      } catch {
        return null;
      }
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0 || canvas.height === 0) return null;
      context.drawImage(img, 0, 0);
      return statsOf(context, canvas);
    }),
  );
}
