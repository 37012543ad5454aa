import { TransferSyntaxUid, type TransferSyntaxKeyword } from './generated/uid-constants';
import { uidRows } from './generated/uids';

export { TransferSyntaxUid, type TransferSyntaxKeyword };

/** What a transfer syntax (PS3.5 §10, Annex A) means for reading and serving an instance. */
export interface TransferSyntax {
  readonly uid: string;
  readonly keyword: string;
  readonly name: string;
  /** Explicit VR (PS3.5 §7.1.2); false only for the Implicit VR ones. */
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** Pixel Data is encapsulated in fragments (PS3.5 §A.4) rather than native. */
  readonly encapsulated: boolean;
  /** The data set after the File Meta Information is deflated (PS3.5 §A.5, and the JPIP Deflate ones). */
  readonly deflated: boolean;
  /** The transfer syntax allows (or always applies) lossy compression. */
  readonly lossy: boolean;
  readonly retired: boolean;
}

type Flags = readonly [explicitVr: 0 | 1, littleEndian: 0 | 1, encapsulated: 0 | 1, deflated: 0 | 1, lossy: 0 | 1];
const E = [1, 1, 1, 0, 0] as const; // encapsulated, lossless
const L = [1, 1, 1, 0, 1] as const; // encapsulated, may be lossy

// PS3.5 Annex A and Table A-1. Encapsulated = Pixel Data in fragments (§A.4). The JPIP Referenced ones carry
// no Pixel Data (it is fetched from the Pixel Data Provider URL, §A.6), the SMPTE ST 2110 ones are for DICOM
// Real-Time Video (PS3.34) where pixels travel outside the data set, and RFC 2557 / XML Encoding are retired
// non-binary encodings: none of them is encapsulated. "lossy" for JPEG 2000 (.91, .93) and HTJ2K (.203) means
// "may be lossy": those syntaxes allow both.
const flags: Record<TransferSyntaxKeyword, Flags> = {
  ImplicitVRLittleEndian: [0, 1, 0, 0, 0],
  ExplicitVRLittleEndian: [1, 1, 0, 0, 0],
  EncapsulatedUncompressedExplicitVRLittleEndian: E,
  DeflatedExplicitVRLittleEndian: [1, 1, 0, 1, 0],
  ExplicitVRBigEndian: [1, 0, 0, 0, 0],
  JPEGBaseline8Bit: L,
  JPEGExtended12Bit: L,
  JPEGExtended35: L,
  JPEGSpectralSelectionNonHierarchical68: L,
  JPEGSpectralSelectionNonHierarchical79: L,
  JPEGFullProgressionNonHierarchical1012: L,
  JPEGFullProgressionNonHierarchical1113: L,
  JPEGLossless: E,
  JPEGLosslessNonHierarchical15: E,
  JPEGExtendedHierarchical1618: L,
  JPEGExtendedHierarchical1719: L,
  JPEGSpectralSelectionHierarchical2022: L,
  JPEGSpectralSelectionHierarchical2123: L,
  JPEGFullProgressionHierarchical2426: L,
  JPEGFullProgressionHierarchical2527: L,
  JPEGLosslessHierarchical28: E,
  JPEGLosslessHierarchical29: E,
  JPEGLosslessSV1: E,
  JPEGLSLossless: E,
  JPEGLSNearLossless: L,
  JPEG2000Lossless: E,
  JPEG2000: L,
  JPEG2000MCLossless: E,
  JPEG2000MC: L,
  JPIPReferenced: [1, 1, 0, 0, 1],
  JPIPReferencedDeflate: [1, 1, 0, 1, 1],
  MPEG2MPML: L,
  MPEG2MPMLF: L,
  MPEG2MPHL: L,
  MPEG2MPHLF: L,
  MPEG4HP41: L,
  MPEG4HP41F: L,
  MPEG4HP41BD: L,
  MPEG4HP41BDF: L,
  MPEG4HP422D: L,
  MPEG4HP422DF: L,
  MPEG4HP423D: L,
  MPEG4HP423DF: L,
  MPEG4HP42STEREO: L,
  MPEG4HP42STEREOF: L,
  HEVCMP51: L,
  HEVCM10P51: L,
  HTJ2KLossless: E,
  HTJ2KLosslessRPCL: E,
  HTJ2K: L,
  JPIPHTJ2KReferenced: [1, 1, 0, 0, 1],
  JPIPHTJ2KReferencedDeflate: [1, 1, 0, 1, 1],
  RLELossless: E,
  RFC2557MIMEEncapsulation: [1, 1, 0, 0, 0],
  XMLEncoding: [1, 1, 0, 0, 0],
  SMPTEST211020UncompressedProgressiveActiveVideo: [1, 1, 0, 0, 0],
  SMPTEST211020UncompressedInterlacedActiveVideo: [1, 1, 0, 0, 0],
  SMPTEST211030PCMDigitalAudio: [1, 1, 0, 0, 0],
  Papyrus3ImplicitVRLittleEndian: [0, 1, 0, 0, 0],
};

// PS3.18 §8.7.3.3.2 Table 8.7.3-5 "Transfer Syntax UIDs and Media Types for Bulk Data / Pixel Data": the media
// type of a frame (or, for video, of the whole pixel data) in each transfer syntax. Native pixel data is
// application/octet-stream. The Fragmentable MPEG variants (.100.1 …) carry the same bitstreams as their
// non-fragmentable forms. Transfer syntaxes whose pixels are not in the data set (JPIP, DICOM-RTV) and
// the retired non-binary encodings have no entry.
const octetStream = 'application/octet-stream';
const frameMediaTypes: Partial<Record<TransferSyntaxKeyword, string>> = {
  ImplicitVRLittleEndian: octetStream,
  ExplicitVRLittleEndian: octetStream,
  EncapsulatedUncompressedExplicitVRLittleEndian: octetStream,
  DeflatedExplicitVRLittleEndian: octetStream,
  ExplicitVRBigEndian: octetStream,
  Papyrus3ImplicitVRLittleEndian: octetStream,
  JPEGBaseline8Bit: 'image/jpeg',
  JPEGExtended12Bit: 'image/jpeg',
  JPEGExtended35: 'image/jpeg',
  JPEGSpectralSelectionNonHierarchical68: 'image/jpeg',
  JPEGSpectralSelectionNonHierarchical79: 'image/jpeg',
  JPEGFullProgressionNonHierarchical1012: 'image/jpeg',
  JPEGFullProgressionNonHierarchical1113: 'image/jpeg',
  JPEGLossless: 'image/jpeg',
  JPEGLosslessNonHierarchical15: 'image/jpeg',
  JPEGExtendedHierarchical1618: 'image/jpeg',
  JPEGExtendedHierarchical1719: 'image/jpeg',
  JPEGSpectralSelectionHierarchical2022: 'image/jpeg',
  JPEGSpectralSelectionHierarchical2123: 'image/jpeg',
  JPEGFullProgressionHierarchical2426: 'image/jpeg',
  JPEGFullProgressionHierarchical2527: 'image/jpeg',
  JPEGLosslessHierarchical28: 'image/jpeg',
  JPEGLosslessHierarchical29: 'image/jpeg',
  JPEGLosslessSV1: 'image/jpeg',
  JPEGLSLossless: 'image/jls',
  JPEGLSNearLossless: 'image/jls',
  JPEG2000Lossless: 'image/jp2',
  JPEG2000: 'image/jp2',
  JPEG2000MCLossless: 'image/jpx',
  JPEG2000MC: 'image/jpx',
  HTJ2KLossless: 'image/jphc',
  HTJ2KLosslessRPCL: 'image/jphc',
  HTJ2K: 'image/jphc',
  RLELossless: 'image/dicom-rle',
  MPEG2MPML: 'video/mpeg2',
  MPEG2MPMLF: 'video/mpeg2',
  MPEG2MPHL: 'video/mpeg2',
  MPEG2MPHLF: 'video/mpeg2',
  MPEG4HP41: 'video/mp4',
  MPEG4HP41F: 'video/mp4',
  MPEG4HP41BD: 'video/mp4',
  MPEG4HP41BDF: 'video/mp4',
  MPEG4HP422D: 'video/mp4',
  MPEG4HP422DF: 'video/mp4',
  MPEG4HP423D: 'video/mp4',
  MPEG4HP423DF: 'video/mp4',
  MPEG4HP42STEREO: 'video/mp4',
  MPEG4HP42STEREOF: 'video/mp4',
  HEVCMP51: 'video/H265',
  HEVCM10P51: 'video/H265',
};

const byUid = new Map<string, TransferSyntax>();
const mediaTypeByUid = new Map<string, string>();
for (const [uid, keyword, name, type, retired] of uidRows) {
  if (type !== 'Transfer Syntax') continue;
  const f = flags[keyword as TransferSyntaxKeyword];
  const [explicitVr, littleEndian, encapsulated, deflated, lossy] = f;
  byUid.set(uid, {
    uid,
    keyword,
    name,
    explicitVr: explicitVr === 1,
    littleEndian: littleEndian === 1,
    encapsulated: encapsulated === 1,
    deflated: deflated === 1,
    lossy: lossy === 1,
    retired: retired === 1,
  });
  const mediaType = frameMediaTypes[keyword as TransferSyntaxKeyword];
  if (mediaType) mediaTypeByUid.set(uid, mediaType);
}

/** The transfer syntax of a UID, or undefined when PS3.6 Annex A does not list it. */
export const transferSyntaxOf = (uid: string): TransferSyntax | undefined => byUid.get(uid);

/** Every transfer syntax of PS3.6 Annex A. */
export const transferSyntaxes = (): TransferSyntax[] => [...byUid.values()];

/**
 * The media type PS3.18 Table 8.7.3-5 gives the frames (video: the whole pixel data) of an instance in
 * this transfer syntax, or undefined when the table has none for it (JPIP, DICOM-RTV, unknown UIDs).
 */
export const frameMediaTypeOf = (uid: string): string | undefined => mediaTypeByUid.get(uid);
