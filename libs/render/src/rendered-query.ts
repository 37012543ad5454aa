// Query parameters of the rendered and thumbnail resources (PS3.18 §8.3.5.1, Table 8.3.5-1):
//
//   annotation = "annotation=" ( "patient" / "technique" ) *( "," ( "patient" / "technique" ) )   §8.3.5.1.1
//   quality    = "quality=" 1*3DIGIT            ; 1 … 100                                        §8.3.5.1.2
//   viewport   = "viewport=" vw "," vh [ "," [sx] "," [sy] "," [sw] "," [sh] ]                    §8.3.5.1.3
//   window     = "window=" center "," width "," function  ; LINEAR / LINEAR_EXACT / SIGMOID       §8.3.5.1.4
//   iccprofile = "iccprofile=" ( "no" / "yes" / "srgb" / "adobergb" / "rommrgb" / "displayp3" )   §8.3.5.1.5
//
// Parameters that are not ours (and `accept`, `charset`, negotiated elsewhere) are ignored (PS3.18 §8.3.2).
// A parameter of ours with a malformed value is a 400 with the reason, never a silent default.
import { DicomwebError } from '@pacs/dicomweb';
import type { IccProfileOption, Viewport, WindowSetting } from '@pacs/imaging';

export interface RenderedQuery {
  readonly window?: WindowSetting;
  readonly viewport?: Viewport;
  readonly quality?: number;
  readonly iccProfile?: IccProfileOption;
  /**
   * PS3.18 §8.3.5.1.1 annotation keywords as asked. Accepted and not burned in: the rendered pixels carry no
   * text (the conformance statement says so); unknown keywords are ignored like unknown values (§8.3.2).
   */
  readonly annotation: readonly string[];
}

export type QueryValues = Readonly<Record<string, unknown>>;

/** Largest viewport side and area we render into: the output is held in memory while it is encoded. */
export const maxViewportSide = 8192;
export const maxViewportPixels = 32 * 1024 * 1024;

const badRequest = (message: string): DicomwebError => new DicomwebError('BadRequest', message);

/** One value of a query parameter: absent, or exactly one string (a repeated parameter is ambiguous). */
function single(query: QueryValues, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`The ${name} query parameter is given more than once`);
  return value;
}

const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const integer = /^[+-]?\d+$/;

/** PS3.18 §8.3.5.1.4: window=center,width,function; the function defaults to LINEAR when left out. */
export function parseWindow(text: string): WindowSetting {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.length > 3 || !decimal.test(parts[0]!) || !decimal.test(parts[1]!)) {
    throw badRequest('window must be center,width[,function] with decimal center and width (PS3.18 §8.3.5.1.4)');
  }
  const center = Number(parts[0]);
  const width = Number(parts[1]);
  const name = (parts[2] ?? 'LINEAR').toUpperCase().replace('-', '_');
  if (name !== 'LINEAR' && name !== 'LINEAR_EXACT' && name !== 'SIGMOID') {
    throw badRequest(`window function ${JSON.stringify(parts[2])} is not LINEAR, LINEAR_EXACT or SIGMOID`);
  }
  // PS3.3 C.11.2.1.2.1: LINEAR needs a width of at least 1; C.11.2.1.3: the others a width above 0.
  if (!Number.isFinite(center) || !Number.isFinite(width) || (name === 'LINEAR' ? width < 1 : width <= 0)) {
    throw badRequest(
      `window width ${parts[1]} is not allowed with ${name} (PS3.3 C.11.2.1.2: LINEAR needs ≥ 1, the others > 0)`,
    );
  }
  return { center, width, function: name };
}

/** PS3.18 §8.3.5.1.3: viewport=vw,vh or vw,vh,sx,sy,sw,sh (each of the last four may be empty). */
export function parseViewport(text: string): Viewport {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 2 && parts.length !== 6) {
    throw badRequest('viewport must be vw,vh or vw,vh,sx,sy,sw,sh (PS3.18 §8.3.5.1.3)');
  }
  const [vw, vh] = parts.slice(0, 2).map((s) => (integer.test(s) ? Number(s) : NaN));
  if (!(vw! >= 1 && vh! >= 1)) throw badRequest('viewport width and height must be positive integers');
  if (vw! > maxViewportSide || vh! > maxViewportSide || vw! * vh! > maxViewportPixels) {
    throw badRequest(`viewport ${vw}×${vh} is larger than this server renders (${maxViewportSide} per side)`);
  }
  const region = parts.slice(2).map((s) => {
    if (s === '') return undefined;
    if (!integer.test(s)) throw badRequest('viewport sx, sy, sw and sh must be integers');
    return Number(s);
  });
  const [sx, sy, sw, sh] = region;
  if ((sx !== undefined && sx < 0) || (sy !== undefined && sy < 0)) {
    throw badRequest('viewport sx and sy must not be negative');
  }
  if (sw === 0 || sh === 0) throw badRequest('viewport sw and sh must not be 0');
  return {
    width: vw!,
    height: vh!,
    ...(sx === undefined ? {} : { sx }),
    ...(sy === undefined ? {} : { sy }),
    ...(sw === undefined ? {} : { sw }),
    ...(sh === undefined ? {} : { sh }),
  };
}

const iccProfiles: readonly IccProfileOption[] = ['no', 'yes', 'srgb', 'adobergb', 'rommrgb', 'displayp3'];

/** The rendering parameters of a rendered resource (PS3.18 Table 8.3.5-1). */
export function parseRenderedQuery(query: QueryValues): RenderedQuery {
  const window = single(query, 'window');
  const viewport = single(query, 'viewport');
  const quality = single(query, 'quality');
  const icc = single(query, 'iccprofile');
  const annotation = single(query, 'annotation');
  let parsedQuality: number | undefined;
  if (quality !== undefined) {
    parsedQuality = integer.test(quality.trim()) ? Number(quality.trim()) : NaN;
    if (!(parsedQuality >= 1 && parsedQuality <= 100)) {
      throw badRequest('quality must be an integer from 1 to 100 (PS3.18 §8.3.5.1.2)');
    }
  }
  let iccProfile: IccProfileOption | undefined;
  if (icc !== undefined) {
    iccProfile = iccProfiles.find((p) => p === icc.trim().toLowerCase());
    if (!iccProfile) throw badRequest(`iccprofile must be one of ${iccProfiles.join(', ')} (PS3.18 §8.3.5.1.5)`);
  }
  return {
    ...(window === undefined ? {} : { window: parseWindow(window) }),
    ...(viewport === undefined ? {} : { viewport: parseViewport(viewport) }),
    ...(parsedQuality === undefined ? {} : { quality: parsedQuality }),
    ...(iccProfile === undefined ? {} : { iccProfile }),
    annotation: (annotation ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  };
}

/**
 * The parameters of a thumbnail resource (PS3.18 §10.4.1.1.5: accept, charset and viewport). Rendering
 * parameters are the server's choice for a thumbnail and are ignored.
 */
export function parseThumbnailQuery(query: QueryValues): { viewport?: Viewport } {
  const viewport = single(query, 'viewport');
  return viewport === undefined ? {} : { viewport: parseViewport(viewport) };
}
