import sharp from 'sharp';
import { type DecodedFrame } from './decode-frame';
import { ImagingError } from './imaging-error';
import { encodeJpegLossless } from './jpeg-lossless-encoder';
import { writeNativeSamples } from './native-frame';
import { type PixelArray, unsignedView } from './pixel-array';
import { PhotometricInterpretation, type PixelModule } from './pixel-module';
import { encodeRle } from './rle';
import { canEncode, targetKind, TranscodeKind } from './transcode-support';
import { TransferSyntax } from './transfer-syntax';
import { type CodecFrameInfo } from './wasm-codec-types';
import {
  encodeHtj2kCodestream,
  encodeJ2kCodestream,
  encodeJpeg8Stream,
  encodeJpegLsStream,
  JpegSubsampling,
} from './wasm-codecs';
import { ybrFullToRgb } from './ybr';

export interface EncodedFrame {
  /** Native syntaxes: the frame's Pixel Data bytes (little endian, big endian for .1.2.2); encapsulated: the frame's bitstream. */
  readonly bytes: Buffer;
  /** Attributes of the data set that must change with this encoding (Photometric Interpretation, lossy compression…). */
  readonly pixelModuleChanges: Partial<PixelModule>;
}

export interface EncodeOptions {
  /** JPEG Baseline quality 1-100 (libjpeg scale). Default 90. */
  readonly jpegQuality?: number;
  /** JPEG 2000 (.91) compression ratio. Default 10. */
  readonly j2kCompressionRatio?: number;
  /** HTJ2K (.203) quantization step. Default 0.002. */
  readonly htj2kQuantizationStep?: number;
  /** JPEG-LS near-lossless (.81) NEAR. Default 2. */
  readonly nearLossless?: number;
}

const T = TransferSyntax;

/** PS3.3 C.7.6.1.1.5.1 Lossy Image Compression Method Defined Terms. */
const lossyMethodOf: Partial<Record<string, string>> = {
  [T.JPEGBaseline8Bit]: 'ISO_10918_1',
  [T.JPEGExtended12Bit]: 'ISO_10918_1',
  [T.JPEGLSNearLossless]: 'ISO_14495_1',
  [T.JPEG2000]: 'ISO_15444_1',
  [T.HTJ2K]: 'ISO_15444_15',
};

/**
 * Encodes a decoded frame in `targetTransferSyntaxUid`, for transcoding (stored X → decode → encode Y).
 * `pixelModule` is the stored data set's; `pixelModuleChanges` says what the data set must say after
 * (e.g. JPEG Baseline colour → YBR_FULL_422; JPEG 2000 colour → YBR_RCT / YBR_ICT; any lossy target →
 * Lossy Image Compression "01" with ratio and method appended, C.7.6.1.1.5).
 *
 * Refuses (UnsupportedTranscode) what transcodeSupport refuses: above all, lossy data is never written
 * into a lossless compressed syntax.
 */
export async function encodeFrame(
  targetTransferSyntaxUid: string,
  decoded: DecodedFrame,
  pixelModule: PixelModule,
  options: EncodeOptions = {},
): Promise<EncodedFrame> {
  const to = targetTransferSyntaxUid.trim();
  // the data as decoded (e.g. RGB out of a YBR_FULL_422 JPEG), which is what gets encoded
  const pm: PixelModule = {
    ...pixelModule,
    photometricInterpretation: decoded.photometricInterpretation,
    planarConfiguration: 0,
  };
  const kind = targetKind(to, decoded.lossy, pm);
  if (kind === TranscodeKind.Unsupported) {
    throw new ImagingError(
      'UnsupportedTranscode',
      decoded.lossy && canEncode(to, pm)
        ? `Lossy pixel data is not written into ${to}, a lossless compressed syntax; ask for a native syntax (PS3.5 8.2)`
        : `${decoded.photometricInterpretation} ${decoded.bitsStored}-bit pixel data cannot be encoded as ${to}`,
    );
  }
  const { rows, columns, samplesPerPixel, bitsStored, signed } = decoded;
  const changes: Record<string, unknown> = {};
  const colour = samplesPerPixel === 3;
  if (decoded.photometricInterpretation !== pixelModule.photometricInterpretation)
    changes.photometricInterpretation = decoded.photometricInterpretation;
  if (colour && pixelModule.planarConfiguration !== 0) changes.planarConfiguration = 0;
  if (decoded.lossy && pixelModule.lossyImageCompression !== '01') changes.lossyImageCompression = '01';

  let bytes: Buffer;
  switch (to) {
    case T.ImplicitVRLittleEndian:
    case T.ExplicitVRLittleEndian:
    case T.DeflatedExplicitVRLittleEndian:
    case T.EncapsulatedUncompressedExplicitVRLittleEndian:
      bytes = writeNativeSamples(decoded.pixels, decoded.bitsAllocated);
      break;
    case T.ExplicitVRBigEndian:
      bytes = writeNativeSamples(decoded.pixels, decoded.bitsAllocated, true);
      break;
    case T.RLELossless:
      bytes = encodeRle(decoded.pixels, rows, columns, samplesPerPixel);
      break;
    case T.JPEGLossless:
    case T.JPEGLosslessSV1:
      bytes = encodeJpegLossless(decoded.pixels, rows, columns, samplesPerPixel, bitsStored);
      break;
    case T.JPEGLSLossless:
    case T.JPEGLSNearLossless: {
      const near = to === T.JPEGLSNearLossless ? (options.nearLossless ?? 2) : 0;
      // PS3.5 8.2.3: JPEG-LS has no sign; two's complement samples are coded as their Bits Stored bit patterns
      const info = frameInfo(decoded, bitsStored, false, false);
      bytes = await encodeJpegLsStream(info, codecBytes(decoded.pixels, bitsStored), near);
      break;
    }
    case T.JPEG2000Lossless:
    case T.JPEG2000: {
      const lossless = to === T.JPEG2000Lossless;
      const pixels = colour ? rgbPixels(decoded) : decoded.pixels;
      const info = frameInfo(decoded, bitsStored, signed, colour);
      bytes = await encodeJ2kCodestream(info, signedBytes(pixels), {
        lossless,
        compressionRatio: options.j2kCompressionRatio ?? 10,
      });
      // OpenJPEG applies the reversible (RCT) or irreversible (ICT) colour transform to 3 components
      if (colour)
        changes.photometricInterpretation = lossless
          ? PhotometricInterpretation.YBR_RCT
          : PhotometricInterpretation.YBR_ICT;
      break;
    }
    case T.HTJ2KLossless:
    case T.HTJ2KLosslessRPCL:
    case T.HTJ2K: {
      const lossless = to !== T.HTJ2K;
      // RGB gets the colour transform (then YBR_RCT / YBR_ICT, PS3.5 8.2.14); canEncode refuses YCbCr input
      const transform = colour;
      const info = frameInfo(decoded, bitsStored, signed, transform);
      bytes = await encodeHtj2kCodestream(info, signedBytes(decoded.pixels), {
        lossless,
        rpclOptions: to === T.HTJ2KLosslessRPCL,
        quantizationStep: options.htj2kQuantizationStep ?? 0.002,
      });
      if (transform)
        changes.photometricInterpretation = lossless
          ? PhotometricInterpretation.YBR_RCT
          : PhotometricInterpretation.YBR_ICT;
      break;
    }
    case T.JPEGBaseline8Bit:
    case T.JPEGExtended12Bit: {
      const quality = Math.max(1, Math.min(100, Math.round(options.jpegQuality ?? 90)));
      const pixels = colour ? rgbPixels(decoded) : decoded.pixels;
      const encoded = await encodeJpegBaseline(pixels as Uint8Array, rows, columns, samplesPerPixel, quality);
      bytes = encoded.bytes;
      // PS3.5 8.2.1: colour JPEG is YCbCr; 4:2:2 chroma is YBR_FULL_422, full chroma YBR_FULL
      if (colour)
        changes.photometricInterpretation = encoded.subsampled
          ? PhotometricInterpretation.YBR_FULL_422
          : PhotometricInterpretation.YBR_FULL;
      break;
    }
    default:
      throw new ImagingError('UnsupportedTranscode', `Encoding as ${to} is not supported`);
  }

  if (kind === TranscodeKind.Lossy) {
    const native = (rows * columns * samplesPerPixel * decoded.bitsAllocated) / 8;
    changes.lossyImageCompression = '01';
    changes.lossyImageCompressionRatio = [
      ...(pixelModule.lossyImageCompressionRatio ?? []),
      Math.round((native / bytes.length) * 100) / 100,
    ];
    changes.lossyImageCompressionMethod = [...(pixelModule.lossyImageCompressionMethod ?? []), lossyMethodOf[to] ?? to];
  }
  return { bytes, pixelModuleChanges: changes as Partial<PixelModule> };
}

function frameInfo(
  decoded: DecodedFrame,
  bits: number,
  isSigned: boolean,
  isUsingColorTransform: boolean,
): CodecFrameInfo {
  return {
    width: decoded.columns,
    height: decoded.rows,
    bitsPerSample: bits,
    componentCount: decoded.samplesPerPixel,
    isSigned,
    isUsingColorTransform,
  };
}

/** Little-endian bytes of the samples' Bits Stored bit patterns (unsigned, for codecs without sign). */
function codecBytes(pixels: PixelArray, bitsStored: number): Uint8Array {
  const raw = unsignedView(pixels);
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const out = new (raw.constructor as new (n: number) => Uint8Array | Uint16Array | Uint32Array)(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] & mask;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Little-endian bytes of the samples as they are (two's complement for signed data). */
const signedBytes = (pixels: PixelArray): Uint8Array =>
  new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);

/** RGB samples of a colour frame (a YBR_FULL frame is converted; lossy targets only). */
function rgbPixels(decoded: DecodedFrame): PixelArray {
  if (decoded.photometricInterpretation === PhotometricInterpretation.RGB) return decoded.pixels;
  const copy = decoded.pixels.slice();
  ybrFullToRgb(copy, decoded.bitsStored);
  return copy;
}

/**
 * JPEG Baseline (process 1) with libjpeg-turbo, 4:2:2 chroma for colour. The WASM build writes into a
 * buffer the size of the raw frame, which small frames (under 8 KiB) or very noisy ones overflow; those
 * go to sharp (libvips/libjpeg) instead, at 4:4:4 (then YBR_FULL).
 */
async function encodeJpegBaseline(
  pixels: Uint8Array,
  rows: number,
  columns: number,
  samplesPerPixel: number,
  quality: number,
): Promise<{ bytes: Buffer; subsampled: boolean }> {
  const colour = samplesPerPixel === 3;
  if (rows * columns * samplesPerPixel >= 8192) {
    try {
      const info: CodecFrameInfo = {
        width: columns,
        height: rows,
        bitsPerSample: 8,
        componentCount: samplesPerPixel,
        isSigned: false,
        isUsingColorTransform: false,
      };
      const bytes = await encodeJpeg8Stream(
        info,
        pixels,
        quality,
        colour ? JpegSubsampling.S422 : JpegSubsampling.S444,
      );
      return { bytes, subsampled: colour };
    } catch {
      // fall through to sharp
    }
  }
  const bytes = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width: columns, height: rows, channels: samplesPerPixel as 1 | 3 },
  })
    .toColourspace(colour ? 'srgb' : 'b-w') // one JPEG component for grey
    .jpeg({ quality, chromaSubsampling: '4:4:4', progressive: false, optimiseCoding: true })
    .toBuffer();
  return { bytes, subsampled: false };
}
