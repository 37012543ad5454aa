import { ImagingError } from './imaging-error';
import { decodeJpegLossless, decodeJpegSequentialDct, type JpegFrameHeader, readJpegFrameHeader } from './jpeg-decoder';
import { readNativeSamples } from './native-frame';
import { allocatePixels, normalizeStoredBits, type PixelArray, interleavePlanes } from './pixel-array';
import { PhotometricInterpretation, type PixelModule } from './pixel-module';
import { decodeRle } from './rle';
import { TransferSyntax } from './transfer-syntax';
import {
  type CodecOutput,
  decodeHtj2kCodestream,
  decodeJ2kCodestream,
  decodeJpeg8Stream,
  decodeJpegLsStream,
} from './wasm-codecs';
import { upsample422 } from './ybr';

/**
 * One decoded frame: every pixel fully sampled, samples interleaved, values of Bits Stored bits with the
 * bits above High Bit removed and two's complement sign-extended (PS3.5 8.1.1, PS3.3 C.7.6.3.1.1).
 */
export interface DecodedFrame {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  /**
   * The colour space of `pixels`, which differs from the data set's when the codec converted: JPEG
   * (DCT) YCbCr is returned as RGB by libjpeg-turbo, JPEG 2000 / HTJ2K YBR_RCT / YBR_ICT as RGB (the
   * codec inverts its multi-component transform), native YBR_FULL_422 as YBR_FULL (upsampled).
   * YBR_FULL and YBR_PARTIAL_* in native, RLE and JPEG-LS data are left as they are: renderFrame converts.
   */
  readonly photometricInterpretation: string;
  /** Width of the container of each sample: 1 (one byte per pixel, 0 or 1), 8, 16 or 32. */
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly signed: boolean;
  readonly pixels: PixelArray;
  /** The values are not the original ones: this codestream is lossy, or the data set says it was (C.7.6.1.1.5). */
  readonly lossy: boolean;
}

export interface DecodeOptions {
  /**
   * 1-bit native data only: the bit of `bytes[0]` where this frame begins. Frames of 1-bit data are
   * packed without padding (PS3.5 8.1.1), so frame n starts at bit n · Rows · Columns of Pixel Data.
   */
  readonly bitOffset?: number;
}

/**
 * Decodes one frame. `bytes` is the frame as stored: for native syntaxes its Rows × Columns × Samples
 * samples (Deflated: already inflated by the reader), for encapsulated ones its compressed bitstream
 * (all fragments of the frame concatenated).
 *
 * Decoders: native and RLE Lossless (PS3.5 Annex G) are ours; JPEG with 8-bit DCT (processes 1, 2, and
 * progressive) libjpeg-turbo (WASM); JPEG 12-bit DCT (process 4) and lossless (process 14, any predictor)
 * our decoder (jpeg-decoder.ts); JPEG-LS CharLS; JPEG 2000 OpenJPEG; HTJ2K OpenJPH, OpenJPEG if OpenJPH
 * refuses the codestream. The codec is chosen by the codestream (SOF marker), not only by the UID, so a
 * lossless JPEG labelled as baseline still decodes.
 */
export async function decodeFrame(
  transferSyntaxUid: string,
  bytes: Uint8Array,
  pixelModule: PixelModule,
  options: DecodeOptions = {},
): Promise<DecodedFrame> {
  const pm = pixelModule;
  const ts = transferSyntaxUid.trim();
  const signed = pm.pixelRepresentation === 1;
  const everLossy = pm.lossyImageCompression === '01';
  const frame = (pixels: PixelArray, photometricInterpretation: string, lossy: boolean): DecodedFrame => ({
    rows: pm.rows,
    columns: pm.columns,
    samplesPerPixel: pm.samplesPerPixel,
    photometricInterpretation,
    bitsAllocated: pm.bitsAllocated,
    bitsStored: pm.bitsStored,
    signed,
    pixels,
    lossy: lossy || everLossy,
  });

  switch (ts) {
    case TransferSyntax.ImplicitVRLittleEndian:
    case TransferSyntax.ExplicitVRLittleEndian:
    case TransferSyntax.DeflatedExplicitVRLittleEndian:
    case TransferSyntax.ExplicitVRBigEndian:
    case TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian: {
      const subsampled422 =
        pm.photometricInterpretation === PhotometricInterpretation.YBR_FULL_422 ||
        pm.photometricInterpretation === PhotometricInterpretation.YBR_PARTIAL_422;
      if (subsampled422 && pm.columns % 2 === 1) {
        throw new ImagingError(
          'InvalidAttribute',
          `${pm.photometricInterpretation} needs an even number of Columns, not ${pm.columns}`,
        );
      }
      let pixels = readNativeSamples(bytes, {
        rows: pm.rows,
        columns: pm.columns,
        samplesPerPixel: pm.samplesPerPixel,
        bitsAllocated: pm.bitsAllocated,
        signed,
        planarConfiguration: pm.planarConfiguration,
        subsampled422,
        bigEndian: ts === TransferSyntax.ExplicitVRBigEndian,
        bitOffset: options.bitOffset ?? 0,
      });
      if (pm.bitsAllocated > 1) normalizeStoredBits(pixels, pm.bitsStored, signed, pm.highBit + 1 - pm.bitsStored);
      if (subsampled422) pixels = upsample422(pixels, pm.rows, pm.columns);
      const photometric =
        pm.photometricInterpretation === PhotometricInterpretation.YBR_FULL_422
          ? PhotometricInterpretation.YBR_FULL
          : pm.photometricInterpretation;
      return frame(pixels, photometric, false);
    }

    case TransferSyntax.RLELossless: {
      const pixels = decodeRle(bytes, pm.rows, pm.columns, pm.samplesPerPixel, pm.bitsAllocated, signed);
      normalizeStoredBits(pixels, pm.bitsStored, signed);
      return frame(pixels, pm.photometricInterpretation, false);
    }

    case TransferSyntax.JPEGBaseline8Bit:
    case TransferSyntax.JPEGExtended12Bit:
    case TransferSyntax.JPEGLossless:
    case TransferSyntax.JPEGLosslessSV1:
      return decodeJpegFamily(bytes, pm, frame);

    case TransferSyntax.JPEGLSLossless:
    case TransferSyntax.JPEGLSNearLossless: {
      const out = await decodeJpegLsStream(bytes);
      checkGeometry(out, pm, 'JPEG-LS');
      let pixels = toContainer(codecSamples(out), pm);
      // CharLS returns interleave mode 0 (ILV_NONE) colour data plane by plane
      if (out.info.componentCount > 1 && out.interleaveMode === 0)
        pixels = interleavePlanes(pixels, out.info.componentCount);
      normalizeStoredBits(pixels, pm.bitsStored, signed);
      return frame(pixels, pm.photometricInterpretation, (out.nearLossless ?? 0) > 0);
    }

    case TransferSyntax.JPEG2000Lossless:
    case TransferSyntax.JPEG2000: {
      const out = await decodeJ2kCodestream(bytes);
      return fromJ2k(out, pm, frame, 'JPEG 2000');
    }

    case TransferSyntax.HTJ2KLossless:
    case TransferSyntax.HTJ2KLosslessRPCL:
    case TransferSyntax.HTJ2K: {
      let out: CodecOutput;
      try {
        out = await decodeHtj2kCodestream(bytes);
      } catch (error) {
        // An HTJ2K syntax may carry Part 1 code-blocks, which OpenJPH does not decode; OpenJPEG does both.
        try {
          out = await decodeJ2kCodestream(bytes);
        } catch {
          throw error;
        }
      }
      // The OpenJPH build returns the lines of colour images coded without the multi-component transform
      // in the wrong order (it pulls components row-interleaved from a planar codestream): OpenJPEG
      // decodes those.
      if (out.info.componentCount > 1 && !out.info.isUsingColorTransform) out = await decodeJ2kCodestream(bytes);
      return fromJ2k(out, pm, frame, 'HTJ2K');
    }

    default:
      throw new ImagingError(
        'UnsupportedTransferSyntax',
        `Decoding pixel data of transfer syntax ${ts} is not supported`,
      );
  }
}

type FrameOf = (pixels: PixelArray, photometricInterpretation: string, lossy: boolean) => DecodedFrame;

async function decodeJpegFamily(bytes: Uint8Array, pm: PixelModule, frame: FrameOf): Promise<DecodedFrame> {
  const signed = pm.pixelRepresentation === 1;
  const header = readJpegFrameHeader(bytes);
  if (header.rows !== pm.rows || header.columns !== pm.columns || header.components.length !== pm.samplesPerPixel) {
    throw geometryError('JPEG', header.columns, header.rows, header.components.length, pm);
  }
  if (header.marker === 0xffc3) {
    const decoded = decodeJpegLossless(bytes);
    const pixels = toContainer(decoded.samples, pm);
    normalizeStoredBits(pixels, pm.bitsStored, signed);
    return frame(pixels, pm.photometricInterpretation, false);
  }
  if (header.precision === 8 && (header.marker === 0xffc0 || header.marker === 0xffc1 || header.marker === 0xffc2)) {
    const out = await decodeJpeg8Stream(bytes);
    const pixels = toContainer(out.bytes, pm);
    normalizeStoredBits(pixels, pm.bitsStored, signed);
    // libjpeg-turbo converts YCbCr to RGB (and leaves RGB-coded streams alone): the result is RGB.
    return frame(pixels, pm.samplesPerPixel === 3 ? PhotometricInterpretation.RGB : pm.photometricInterpretation, true);
  }
  if (header.precision === 12 && (header.marker === 0xffc0 || header.marker === 0xffc1)) {
    const decoded = decodeJpegSequentialDct(bytes);
    const pixels = toContainer(decoded.samples, pm);
    normalizeStoredBits(pixels, pm.bitsStored, signed);
    return frame(pixels, pm.samplesPerPixel === 3 ? colourOf12Bit(header) : pm.photometricInterpretation, true);
  }
  throw new ImagingError(
    'UnsupportedPixelData',
    `JPEG with frame marker ${header.marker.toString(16).toUpperCase()} and ${header.precision}-bit precision is not supported`,
  );
}

/** Our 12-bit DCT decoder does not convert colour: YCbCr unless the stream says RGB (Adobe transform 0 or 'R','G','B' ids). */
function colourOf12Bit(header: JpegFrameHeader): string {
  const ids = header.components.map((c) => c.id).join(',');
  if (header.adobeTransform === 0 || ids === '82,71,66') return PhotometricInterpretation.RGB;
  return PhotometricInterpretation.YBR_FULL;
}

function fromJ2k(out: CodecOutput, pm: PixelModule, frame: FrameOf, what: string): DecodedFrame {
  checkGeometry(out, pm, what);
  const signed = pm.pixelRepresentation === 1;
  const pixels = toContainer(codecSamples(out), pm);
  // PS3.5 8.2.4: the codestream's own signedness may disagree with Pixel Representation; keeping
  // Bits Stored bits and sign-extending per Pixel Representation reads both ways right.
  normalizeStoredBits(pixels, pm.bitsStored, signed);
  // The multi-component transform (YBR_RCT / YBR_ICT, or RGB coded with one) is inverted by the codec.
  const photometric =
    pm.samplesPerPixel === 3 &&
    (pm.photometricInterpretation === PhotometricInterpretation.YBR_RCT ||
      pm.photometricInterpretation === PhotometricInterpretation.YBR_ICT ||
      out.info.isUsingColorTransform)
      ? PhotometricInterpretation.RGB
      : pm.photometricInterpretation;
  return frame(pixels, photometric, out.reversible === false);
}

/** The codec's output bytes as samples: 8-bit or (host little endian) 16-bit, of the codec's signedness. */
function codecSamples(out: CodecOutput): PixelArray {
  const { bytes, info } = out;
  if (info.bitsPerSample <= 8)
    return info.isSigned ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const length = aligned.length >> 1;
  return info.isSigned
    ? new Int16Array(aligned.buffer, aligned.byteOffset, length)
    : new Uint16Array(aligned.buffer, aligned.byteOffset, length);
}

/** Copies samples into a container of the data set's Bits Allocated and Pixel Representation. */
function toContainer(samples: PixelArray, pm: PixelModule): PixelArray {
  const expected = pm.rows * pm.columns * pm.samplesPerPixel;
  if (samples.length < expected) {
    throw new ImagingError('CorruptPixelData', `The codec returned ${samples.length} samples; ${expected} expected`);
  }
  const out = allocatePixels(Math.max(8, pm.bitsAllocated), pm.pixelRepresentation === 1, expected);
  if (out.constructor === samples.constructor) {
    out.set(samples.subarray(0, expected) as never);
  } else {
    for (let i = 0; i < expected; i++) out[i] = samples[i];
  }
  return out;
}

function checkGeometry(out: CodecOutput, pm: PixelModule, what: string): void {
  const { width, height, componentCount } = out.info;
  if (width !== pm.columns || height !== pm.rows || componentCount !== pm.samplesPerPixel) {
    throw geometryError(what, width, height, componentCount, pm);
  }
}

// PS3.5 8.2: the Image Pixel attributes shall be consistent with the compressed stream.
const geometryError = (
  what: string,
  width: number,
  height: number,
  components: number,
  pm: PixelModule,
): ImagingError =>
  new ImagingError(
    'CorruptPixelData',
    `${what} codestream is ${width}×${height}×${components}, the data set says ${pm.columns}×${pm.rows}×${pm.samplesPerPixel}`,
  );
