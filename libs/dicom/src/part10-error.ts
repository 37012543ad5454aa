/**
 * Why a Part 10 stream (PS3.10 §7.1) could not be read or written:
 * - NotDicom: no 128-byte preamble followed by "DICM";
 * - Truncated: the bytes ended inside the preamble, an element, a sequence or the pixel data;
 * - HeaderTooLarge: more than the allowed bytes had to be held to read the attributes;
 * - Malformed: a length, tag, VR or item structure that PS3.5 §7 does not allow;
 * - MissingAttribute: a required attribute is absent (Transfer Syntax UID, the identifying UIDs);
 * - UnsupportedTransferSyntax: the data set's encoding cannot be written (or read) here;
 * - InvalidValue: a DICOM JSON value that cannot be encoded in its VR;
 * - NoSuchFrame: a frame number outside 1..NumberOfFrames.
 */
export const part10ErrorCodes = [
  'NotDicom',
  'Truncated',
  'HeaderTooLarge',
  'Malformed',
  'MissingAttribute',
  'UnsupportedTransferSyntax',
  'InvalidValue',
  'NoSuchFrame',
] as const;
export type Part10ErrorCode = (typeof part10ErrorCodes)[number];

export class Part10Error extends Error {
  constructor(
    readonly code: Part10ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'Part10Error';
  }
}
