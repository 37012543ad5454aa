/**
 * The transfer syntaxes the pixel pipeline knows, by their PS3.6 keyword (PS3.6 Table A-1). Only the
 * syntaxes whose pixel data we decode or encode are listed; the full registry lives in @pacs/dicom.
 */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;
export type TransferSyntaxKeyword = keyof typeof TransferSyntax;
export type TransferSyntaxUid = (typeof TransferSyntax)[TransferSyntaxKeyword];

const keywordByUid = new Map<string, TransferSyntaxKeyword>(
  Object.entries(TransferSyntax).map(([keyword, uid]) => [uid, keyword as TransferSyntaxKeyword]),
);

/** The keyword of a transfer syntax we handle, or undefined. */
export const transferSyntaxKeywordOf = (uid: string): TransferSyntaxKeyword | undefined => keywordByUid.get(uid.trim());

/**
 * Native (not encapsulated) pixel data. Deflated Explicit VR Little Endian is native too: PS3.5 A.5
 * deflates the whole data set, so once the reader has inflated it the frame bytes are plain little endian.
 */
export const isNativeTransferSyntax = (uid: string): boolean =>
  uid === TransferSyntax.ImplicitVRLittleEndian ||
  uid === TransferSyntax.ExplicitVRLittleEndian ||
  uid === TransferSyntax.DeflatedExplicitVRLittleEndian ||
  uid === TransferSyntax.ExplicitVRBigEndian;

/**
 * Syntaxes whose encoding may lose information. JPEG 2000 (.91), HTJ2K (.203) and JPEG-LS near-lossless
 * (.81) may also carry reversible codestreams, but a receiver cannot tell from the UID, so we treat them
 * as lossy (PS3.5 8.2: only the "Lossless Only" syntaxes promise it).
 */
export const isLossyTransferSyntax = (uid: string): boolean =>
  uid === TransferSyntax.JPEGBaseline8Bit ||
  uid === TransferSyntax.JPEGExtended12Bit ||
  uid === TransferSyntax.JPEGLSNearLossless ||
  uid === TransferSyntax.JPEG2000 ||
  uid === TransferSyntax.HTJ2K;
