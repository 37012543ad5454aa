import { type PixelModule } from './pixel-module';
import { isLossyTransferSyntax, isNativeTransferSyntax, TransferSyntax } from './transfer-syntax';

/** What a transcoding from one transfer syntax to another does to the pixel values. */
export const TranscodeKind = {
  /** No value changes (or none beyond what the stored data already lost: see transcodeSupport). */
  Lossless: 'lossless',
  /** The target encoding loses information. */
  Lossy: 'lossy',
  Unsupported: 'unsupported',
} as const;
export type TranscodeKind = (typeof TranscodeKind)[keyof typeof TranscodeKind];

const T = TransferSyntax;

/** Syntaxes decodeFrame reads. */
export const decodableTransferSyntaxes: readonly string[] = [
  T.ImplicitVRLittleEndian,
  T.ExplicitVRLittleEndian,
  T.EncapsulatedUncompressedExplicitVRLittleEndian,
  T.DeflatedExplicitVRLittleEndian,
  T.ExplicitVRBigEndian,
  T.RLELossless,
  T.JPEGBaseline8Bit,
  T.JPEGExtended12Bit,
  T.JPEGLossless,
  T.JPEGLosslessSV1,
  T.JPEGLSLossless,
  T.JPEGLSNearLossless,
  T.JPEG2000Lossless,
  T.JPEG2000,
  T.HTJ2KLossless,
  T.HTJ2KLosslessRPCL,
  T.HTJ2K,
];

/** Syntaxes encodeFrame writes. */
export const encodableTransferSyntaxes: readonly string[] = decodableTransferSyntaxes;

/** Targets whose encoding keeps every value (the "Lossless Only" syntaxes and native ones). */
const losslessTargets = new Set<string>([
  T.ImplicitVRLittleEndian,
  T.ExplicitVRLittleEndian,
  T.EncapsulatedUncompressedExplicitVRLittleEndian,
  T.DeflatedExplicitVRLittleEndian,
  T.ExplicitVRBigEndian,
  T.RLELossless,
  T.JPEGLossless,
  T.JPEGLosslessSV1,
  T.JPEGLSLossless,
  T.JPEG2000Lossless,
  T.HTJ2KLossless,
  T.HTJ2KLosslessRPCL,
]);

/** Native targets, plus the encapsulated uncompressed one (same bytes in a fragment). */
const uncompressedTargets = new Set<string>([
  ...decodableTransferSyntaxes.filter(isNativeTransferSyntax),
  T.EncapsulatedUncompressedExplicitVRLittleEndian,
]);

/**
 * Whether we transcode pixel data stored as `from` into `to`, and what that does to the values.
 *
 * The rule (PS3.5 8.2, PS3.18 8.7.3.5): a request for a lossless syntax is never answered with values that
 * lost information. Stored data that is lossy (a lossy syntax, or Lossy Image Compression "01" in the
 * data set) is offered in a lossless target only when that target is uncompressed ("decompress to
 * native"): the values are then exactly the decoded ones and the data set keeps saying "01"; a lossless
 * compressed target (RLE, JPEG Lossless, JPEG-LS, JPEG 2000 / HTJ2K lossless) is refused for it, so that
 * such a syntax keeps meaning "the original values".
 *
 * With `pixelModule` the answer also says whether our encoders handle that pixel data (bit depth, colour,
 * signedness); without it, it describes the common case (8- or 16-bit grey, 8-bit colour).
 */
export function transcodeSupport(from: string, to: string, pixelModule?: PixelModule): TranscodeKind {
  from = from.trim();
  to = to.trim();
  if (!decodableTransferSyntaxes.includes(from) || !encodableTransferSyntaxes.includes(to))
    return TranscodeKind.Unsupported;
  const storedLossy = isLossyTransferSyntax(from) || pixelModule?.lossyImageCompression === '01';
  if (from === to) return storedLossy ? TranscodeKind.Lossy : TranscodeKind.Lossless;
  const decoded = pixelModule && { ...pixelModule, photometricInterpretation: decodedPhotometricOf(from, pixelModule) };
  return targetKind(to, storedLossy, decoded);
}

/** The colour space decodeFrame returns for data stored as `from` (see DecodedFrame.photometricInterpretation). */
export function decodedPhotometricOf(from: string, pm: PixelModule): string {
  const pi = pm.photometricInterpretation;
  if (pm.samplesPerPixel !== 3) return pi;
  if (from === T.JPEGBaseline8Bit || from === T.JPEGExtended12Bit) return pm.bitsStored <= 8 ? 'RGB' : pi;
  if (
    (pi === 'YBR_RCT' || pi === 'YBR_ICT') &&
    [T.JPEG2000, T.JPEG2000Lossless, T.HTJ2K, T.HTJ2KLossless, T.HTJ2KLosslessRPCL].includes(from as never)
  )
    return 'RGB';
  if (pi === 'YBR_FULL_422' && isNativeTransferSyntax(from)) return 'YBR_FULL';
  return pi;
}

/** The kind of encoding into `to` of (decoded) pixel data that is, or is not, already lossy. */
export function targetKind(to: string, sourceLossy: boolean, pixelModule?: PixelModule): TranscodeKind {
  if (!encodableTransferSyntaxes.includes(to)) return TranscodeKind.Unsupported;
  if (pixelModule && !canEncode(to, pixelModule)) return TranscodeKind.Unsupported;
  if (losslessTargets.has(to)) {
    if (sourceLossy && !uncompressedTargets.has(to)) return TranscodeKind.Unsupported;
    return TranscodeKind.Lossless;
  }
  return TranscodeKind.Lossy;
}

/**
 * Can our encoders write this pixel data (as decoded: see decodedPhotometricOf) in `to`? The limits come
 * from the codecs:
 * OpenJPEG and OpenJPH read colour input only as 8-bit, and 8-bit input only as unsigned (cornerstone
 * codec builds); JPEG Baseline is 8-bit unsigned; JPEG Lossless and JPEG-LS code 2-16 bits; RLE at most
 * 15 segments; 1-bit and 32-bit data stay native (RLE takes 32-bit grey). Lossy targets refuse PALETTE
 * COLOR, whose values are indices.
 */
export function canEncode(to: string, pm: PixelModule): boolean {
  const signed = pm.pixelRepresentation === 1;
  const colour = pm.samplesPerPixel > 1;
  const palette = pm.photometricInterpretation === 'PALETTE COLOR';
  const ycbcr = ['YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_PARTIAL_420'].includes(
    pm.photometricInterpretation,
  );
  switch (to) {
    case T.ImplicitVRLittleEndian:
    case T.ExplicitVRLittleEndian:
    case T.EncapsulatedUncompressedExplicitVRLittleEndian:
    case T.DeflatedExplicitVRLittleEndian:
    case T.ExplicitVRBigEndian:
      return true;
    case T.RLELossless:
      return pm.bitsAllocated % 8 === 0 && (pm.bitsAllocated / 8) * pm.samplesPerPixel <= 15;
    case T.JPEGLossless:
    case T.JPEGLosslessSV1:
      return pm.bitsAllocated >= 8 && pm.bitsAllocated <= 16 && pm.bitsStored >= 2;
    case T.JPEGLSLossless:
      return pm.bitsAllocated >= 8 && pm.bitsAllocated <= 16 && pm.bitsStored >= 2;
    case T.JPEGLSNearLossless:
      return pm.bitsAllocated >= 8 && pm.bitsAllocated <= 16 && pm.bitsStored >= 2 && !palette;
    case T.JPEGBaseline8Bit:
    case T.JPEGExtended12Bit:
      return pm.bitsAllocated === 8 && pm.bitsStored === 8 && !signed && !palette;
    case T.JPEG2000Lossless:
      // OpenJPEG always applies its colour transform to 3 components: YCbCr input cannot be coded losslessly.
      return j2kInput(pm) && !ycbcr;
    case T.HTJ2KLossless:
    case T.HTJ2KLosslessRPCL:
      // The OpenJPH build writes colour without the colour transform in the wrong line order: RGB only.
      return j2kInput(pm) && !ycbcr;
    case T.JPEG2000:
      return j2kInput(pm) && !palette;
    case T.HTJ2K:
      return j2kInput(pm) && !palette && !ycbcr;
    default:
      return false;
  }

  function j2kInput(p: PixelModule): boolean {
    if (p.bitsAllocated !== 8 && p.bitsAllocated !== 16) return false;
    if (colour && p.bitsAllocated !== 8) return false;
    if (signed && p.bitsAllocated === 8) return false;
    return true;
  }
}
