import { ImagingError } from './imaging-error';
import { type CodecFrameInfo, type WasmDecoder, type WasmEncoder } from './wasm-codec-types';

/*
 * The WASM builds of OpenJPH (HTJ2K), OpenJPEG (JPEG 2000), CharLS (JPEG-LS) and libjpeg-turbo (8-bit
 * JPEG), through their `/wasmjs` entry points. Each module is instantiated once per process on first use
 * (instantiation takes milliseconds; keeping it is what makes a frame take microseconds of set-up). A
 * codec that traps (out-of-bounds access on a malformed stream) is dropped and instantiated anew on the
 * next call, so one bad frame cannot poison later ones.
 */

const loaders = {
  openjph: () => import('@cornerstonejs/codec-openjph/wasmjs'),
  openjpeg: () => import('@cornerstonejs/codec-openjpeg/wasmjs'),
  charls: () => import('@cornerstonejs/codec-charls/wasmjs'),
  libjpegTurbo: () => import('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs'),
} as const;
export type WasmCodecName = keyof typeof loaders;

const instances = new Map<WasmCodecName, Promise<Record<string, unknown>>>();

function load(name: WasmCodecName): Promise<Record<string, unknown>> {
  let module = instances.get(name);
  if (!module) {
    const silent = (): void => undefined; // OpenJPEG prints "[INFO] …" for every frame otherwise
    module = loaders[name]().then((m) => m.default({ print: silent, printErr: silent }));
    instances.set(name, module);
    module.catch(() => instances.delete(name));
  }
  return module;
}

/** Makes sure the codec modules are instantiated (e.g. at service start, so the first request is not slower). */
export async function warmUpCodecs(
  names: readonly WasmCodecName[] = Object.keys(loaders) as WasmCodecName[],
): Promise<void> {
  await Promise.all(names.map(load));
}

type Constructor<T> = new () => T;

async function withInstance<T extends { delete(): void }, R>(
  name: WasmCodecName,
  className: string,
  use: (instance: T) => R,
): Promise<R> {
  const module = await load(name);
  const Class = module[className] as Constructor<T> | undefined;
  if (!Class) throw new ImagingError('UnsupportedTransferSyntax', `The ${name} codec has no ${className}`);
  let instance: T | undefined;
  try {
    instance = new Class();
    return use(instance);
  } catch (error) {
    // A trap (WebAssembly.RuntimeError) or C++ exception may leave the instance's heap inconsistent.
    if (!(error instanceof ImagingError)) instances.delete(name);
    throw error;
  } finally {
    try {
      instance?.delete();
    } catch {
      instances.delete(name);
    }
  }
}

/** What a codec decoded: its frame info, the samples (copied out of WASM memory) and codec facts. */
export interface CodecOutput {
  readonly info: CodecFrameInfo;
  readonly bytes: Uint8Array;
  readonly reversible?: boolean;
  readonly interleaveMode?: number;
  readonly nearLossless?: number;
}

const codecMessage = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === 'number' ? `codec exception ${error}` : String(error);

async function decodeWith(
  name: WasmCodecName,
  className: string,
  encoded: Uint8Array,
  what: string,
): Promise<CodecOutput> {
  try {
    return await withInstance<WasmDecoder, CodecOutput>(name, className, (decoder) => {
      decoder.getEncodedBuffer(encoded.length).set(encoded);
      decoder.decode();
      const info = { ...decoder.getFrameInfo() };
      return {
        info,
        bytes: decoder.getDecodedBuffer().slice(),
        ...(decoder.getIsReversible ? { reversible: decoder.getIsReversible() } : {}),
        ...(decoder.getInterleaveMode ? { interleaveMode: decoder.getInterleaveMode() } : {}),
        ...(decoder.getNearLossless ? { nearLossless: decoder.getNearLossless() } : {}),
      };
    });
  } catch (error) {
    if (error instanceof ImagingError) throw error;
    throw new ImagingError('CorruptPixelData', `${what}: ${codecMessage(error)}`, { cause: error });
  }
}

export const decodeHtj2kCodestream = (encoded: Uint8Array): Promise<CodecOutput> =>
  decodeWith('openjph', 'HTJ2KDecoder', encoded, 'HTJ2K (OpenJPH)');
export const decodeJ2kCodestream = (encoded: Uint8Array): Promise<CodecOutput> =>
  decodeWith('openjpeg', 'J2KDecoder', encoded, 'JPEG 2000 (OpenJPEG)');
export const decodeJpegLsStream = (encoded: Uint8Array): Promise<CodecOutput> =>
  decodeWith('charls', 'JpegLSDecoder', encoded, 'JPEG-LS (CharLS)');
export const decodeJpeg8Stream = (encoded: Uint8Array): Promise<CodecOutput> =>
  decodeWith('libjpegTurbo', 'JPEGDecoder', encoded, 'JPEG (libjpeg-turbo)');

async function encodeWith(
  name: WasmCodecName,
  className: string,
  info: CodecFrameInfo,
  samples: Uint8Array,
  configure: (encoder: WasmEncoder) => void,
  what: string,
): Promise<Buffer> {
  try {
    return await withInstance<WasmEncoder, Buffer>(name, className, (encoder) => {
      const input = encoder.getDecodedBuffer(info);
      if (input.length !== samples.length) {
        throw new ImagingError(
          'UnsupportedPixelData',
          `${what}: the codec expects ${input.length} bytes, we have ${samples.length}`,
        );
      }
      input.set(samples);
      configure(encoder);
      encoder.encode();
      return Buffer.from(encoder.getEncodedBuffer());
    });
  } catch (error) {
    if (error instanceof ImagingError) throw error;
    throw new ImagingError('UnsupportedPixelData', `${what} encoder: ${codecMessage(error)}`, { cause: error });
  }
}

/** Number of wavelet decompositions: 5 (the codecs' default) unless the image is too small for it. */
const decompositionsFor = (info: CodecFrameInfo): number =>
  Math.max(0, Math.min(5, Math.floor(Math.log2(Math.min(info.width, info.height)))));

export interface Htj2kEncodeOptions {
  readonly lossless: boolean;
  /** Quantization step of the irreversible path (smaller is better; OpenJPH's -qstep). */
  readonly quantizationStep?: number;
  /** PS3.5 8.2.14 (HTJ2K Lossless RPCL): RPCL progression with TLM marker and a tile-part per resolution. */
  readonly rpclOptions?: boolean;
}

export const encodeHtj2kCodestream = (
  info: CodecFrameInfo,
  samples: Uint8Array,
  options: Htj2kEncodeOptions,
): Promise<Buffer> =>
  encodeWith(
    'openjph',
    'HTJ2KEncoder',
    info,
    samples,
    (encoder) => {
      encoder.setDecompositions?.(decompositionsFor(info));
      encoder.setQuality?.(options.lossless, options.lossless ? 0 : (options.quantizationStep ?? 0.002));
      encoder.setProgressionOrder?.(2); // RPCL, OpenJPH's default as well
      if (options.rpclOptions) {
        encoder.setTLMMarker?.(true);
        encoder.setTilePartDivisionsAtResolutions?.(true);
      }
    },
    'HTJ2K (OpenJPH)',
  );

export interface J2kEncodeOptions {
  readonly lossless: boolean;
  /** Compression ratio of the single quality layer of the irreversible path. */
  readonly compressionRatio?: number;
}

export const encodeJ2kCodestream = (
  info: CodecFrameInfo,
  samples: Uint8Array,
  options: J2kEncodeOptions,
): Promise<Buffer> =>
  encodeWith(
    'openjpeg',
    'J2KEncoder',
    info,
    samples,
    (encoder) => {
      encoder.setDecompositions?.(decompositionsFor(info));
      encoder.setQuality?.(options.lossless, 1);
      encoder.setCompressionRatio?.(0, options.lossless ? 0 : (options.compressionRatio ?? 10));
    },
    'JPEG 2000 (OpenJPEG)',
  );

export const encodeJpegLsStream = (info: CodecFrameInfo, samples: Uint8Array, nearLossless: number): Promise<Buffer> =>
  encodeWith(
    'charls',
    'JpegLSEncoder',
    info,
    samples,
    (encoder) => {
      encoder.setNearLossless?.(nearLossless);
      // ILV_SAMPLE for colour, so the input stays interleaved; grey images have one component anyway.
      encoder.setInterleaveMode?.(info.componentCount > 1 ? 2 : 0);
    },
    'JPEG-LS (CharLS)',
  );

/** libjpeg-turbo subsampling codes (TJSAMP_*). */
export const JpegSubsampling = { S444: 0, S422: 1, S420: 2 } as const;

export const encodeJpeg8Stream = (
  info: CodecFrameInfo,
  samples: Uint8Array,
  quality: number,
  subsampling: number,
): Promise<Buffer> =>
  encodeWith(
    'libjpegTurbo',
    'JPEGEncoder',
    info,
    samples,
    (encoder) => {
      encoder.setProgressive?.(0); // baseline sequential, process 1 (the encoder defaults to progressive)
      encoder.setQuality?.(quality);
      encoder.setSubSampling?.(subsampling);
    },
    'JPEG (libjpeg-turbo)',
  );
