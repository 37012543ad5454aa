/**
 * What went wrong in the pixel pipeline. Features map these to their protocol errors (e.g. WADO-RS:
 * UnsupportedTransferSyntax and UnsupportedTranscode → 406 Not Acceptable; the rest of bad data → 4xx
 * with the message as the reason); nothing here knows about HTTP.
 */
export const imagingErrorCodes = [
  /** A Type 1 attribute of the Image Pixel module (PS3.3 C.7.6.3) is absent or empty. */
  'MissingAttribute',
  /** An attribute is present but its value is not allowed (e.g. Bits Stored > Bits Allocated). */
  'InvalidAttribute',
  /** We cannot decode (or encode) this transfer syntax at all. */
  'UnsupportedTransferSyntax',
  /** The transfer syntax is supported, but not for this kind of pixel data (e.g. 16-bit JPEG Baseline). */
  'UnsupportedPixelData',
  /** The frame's bytes do not decode: truncated, wrong length, or a codec error. */
  'CorruptPixelData',
  /** The requested transcoding is not offered (see transcodeSupport). */
  'UnsupportedTranscode',
  /** Rendering options that cannot be honoured (e.g. a window width below 1 with LINEAR). */
  'InvalidRenderOptions',
] as const;
export type ImagingErrorCode = (typeof imagingErrorCodes)[number];

export class ImagingError extends Error {
  constructor(
    readonly code: ImagingErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ImagingError';
  }
}
