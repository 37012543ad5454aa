// Media types and transfer syntaxes of DICOMweb representations (PS3.18 §8.7.3, §8.7.4).

/** The media types this library names. */
export const MediaTypes = {
  dicom: 'application/dicom',
  dicomJson: 'application/dicom+json',
  dicomXml: 'application/dicom+xml',
  json: 'application/json',
  octetStream: 'application/octet-stream',
  multipartRelated: 'multipart/related',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
} as const;

/** Transfer syntaxes that negotiation itself has to know (PS3.5 Annex A; PS3.6 Table A-1). */
export const WebTransferSyntax = {
  /** PS3.18 §8.7.3.4: the Default Transfer Syntax of DICOMweb payloads. */
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  /** PS3.18 §8.7.3: shall not be used with Web Services. */
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  /** PS3.18 §8.7.3: shall not be used with Web Services (and is retired). */
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
} as const;

/** PS3.18 §8.7.3.5.2: `transfer-syntax=*` leaves the choice to the origin server (usually: as stored). */
export const AnyTransferSyntax = '*';

/**
 * PS3.18 Table 8.7.3-4/8.7.3-5 (media types of bulkdata, frames and pixel data): per media type its
 * default transfer syntax (used when the Accept entry has no transfer-syntax parameter) and the others it
 * may carry. `*` is allowed with every media type.
 */
export const bulkdataMediaTypes: Readonly<
  Record<string, { readonly default: string; readonly others: readonly string[] }>
> = {
  // Uncompressed bytes: Explicit VR Little Endian (D).
  'application/octet-stream': { default: '1.2.840.10008.1.2.1', others: [] },
  // JPEG Lossless SV1 (D); JPEG Baseline, Extended, Lossless (O).
  'image/jpeg': {
    default: '1.2.840.10008.1.2.4.70',
    others: ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57'],
  },
  // RLE Lossless (D).
  'image/dicom-rle': { default: '1.2.840.10008.1.2.5', others: [] },
  // JPEG-LS Lossless (D), Near-Lossless (O).
  'image/jls': { default: '1.2.840.10008.1.2.4.80', others: ['1.2.840.10008.1.2.4.81'] },
  // JPEG 2000 Lossless Only (D), JPEG 2000 (O).
  'image/jp2': { default: '1.2.840.10008.1.2.4.90', others: ['1.2.840.10008.1.2.4.91'] },
  // JPEG 2000 Part 2 Multi-component Lossless Only (D), Part 2 (O).
  'image/jpx': { default: '1.2.840.10008.1.2.4.92', others: ['1.2.840.10008.1.2.4.93'] },
  // High-Throughput JPEG 2000 Lossless Only (D), RPCL Lossless Only and HTJ2K (O).
  'image/jphc': { default: '1.2.840.10008.1.2.4.201', others: ['1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203'] },
  // JPEG XL Lossless (D), JPEG XL JPEG Recompression and JPEG XL (O).
  'image/jxl': { default: '1.2.840.10008.1.2.4.110', others: ['1.2.840.10008.1.2.4.111', '1.2.840.10008.1.2.4.112'] },
  // MPEG2 Main Profile @ Main Level (D), @ High Level (O).
  'video/mpeg': { default: '1.2.840.10008.1.2.4.100', others: ['1.2.840.10008.1.2.4.101'] },
  // MPEG-4 AVC/H.264 High Profile / Level 4.1 (D) and the other H.264 profiles (O).
  'video/mp4': {
    default: '1.2.840.10008.1.2.4.102',
    others: [
      '1.2.840.10008.1.2.4.103',
      '1.2.840.10008.1.2.4.104',
      '1.2.840.10008.1.2.4.105',
      '1.2.840.10008.1.2.4.106',
    ],
  },
  // HEVC/H.265 Main Profile / Level 5.1 (D), Main 10 (O).
  'video/h265': { default: '1.2.840.10008.1.2.4.107', others: ['1.2.840.10008.1.2.4.108'] },
};

/** PS3.5 §9.1: a UID is dot-separated numeric components without leading zeros, at most 64 characters. */
export const isUid = (value: string): boolean =>
  value.length > 0 && value.length <= 64 && /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*$/.test(value);
