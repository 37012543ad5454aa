import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import {
  decodeFrame,
  encodeFrame,
  ImagingError,
  PhotometricInterpretation,
  pixelModuleOf,
  type EncodedFrame,
  type PixelModule,
} from '@pacs/imaging';

/** The attributes transcoding reads: the Image Pixel module (PS3.3 C.7.6.3) and Lossy Image Compression (C.7.6.1.1.5). */
const transcodingTags = [
  Tag.Rows,
  Tag.Columns,
  Tag.SamplesPerPixel,
  Tag.PhotometricInterpretation,
  Tag.PlanarConfiguration,
  Tag.BitsAllocated,
  Tag.BitsStored,
  Tag.HighBit,
  Tag.PixelRepresentation,
  Tag.NumberOfFrames,
  Tag.LossyImageCompression,
  Tag.LossyImageCompressionRatio,
  Tag.LossyImageCompressionMethod,
];

/**
 * The PixelModule decodeFrame / encodeFrame need, or undefined when the data set has no valid Image Pixel
 * module (then only re-encodings that leave the pixel bytes alone are possible). LUTs, windows and palettes
 * change no stored value, so they are left out: a palette given as bulk data need not be fetched, and a
 * malformed VOI attribute does not stop a transcoding. PALETTE COLOR indices are coded like MONOCHROME2
 * samples; the module keeps saying PALETTE COLOR, which the encoders check (lossy targets refuse indices).
 */
export function transcodingPixelModule(dataset: DicomJsonDataset): PixelModule | undefined {
  const subset: DicomJsonDataset = {};
  for (const tag of transcodingTags) if (dataset[tag]) subset[tag] = dataset[tag]!;
  const palette = subset[Tag.PhotometricInterpretation]?.Value?.[0] === PhotometricInterpretation.PALETTE_COLOR;
  if (palette) subset[Tag.PhotometricInterpretation] = { vr: 'CS', Value: [PhotometricInterpretation.MONOCHROME2] };
  try {
    const module = pixelModuleOf(subset);
    return palette ? { ...module, photometricInterpretation: PhotometricInterpretation.PALETTE_COLOR } : module;
  } catch (error) {
    if (error instanceof ImagingError) return undefined;
    throw error;
  }
}

/**
 * One frame from its stored transfer syntax into another: decode, encode (PS3.5 §8.2; the lossless rule of
 * @pacs/imaging's transcodeSupport holds). A frame that cannot be converted is a 406: the client asked for a
 * representation this frame does not have.
 */
export async function transcodeFrame(
  storedTransferSyntaxUid: string,
  bytes: Uint8Array,
  pixelModule: PixelModule,
  targetTransferSyntaxUid: string,
  bitOffset = 0,
): Promise<EncodedFrame> {
  try {
    const decoded = await decodeFrame(storedTransferSyntaxUid, bytes, pixelModule, { bitOffset });
    return await encodeFrame(targetTransferSyntaxUid, decoded, pixelModule);
  } catch (error) {
    if (error instanceof ImagingError) {
      throw new DicomwebError(
        'NotAcceptable',
        `The pixel data cannot be converted to transfer syntax ${targetTransferSyntaxUid}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}
