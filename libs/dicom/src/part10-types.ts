import { type DicomJsonDataset } from './dicom-json';

/** Bytes of a Part 10 file: `offset` counts from byte 0 of the file (the first byte of the preamble). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Where one frame is. Native: one range. Encapsulated: the values of the frame's fragments, in order. */
export interface FrameRanges {
  ranges: ByteRange[];
  /**
   * Only for native pixel data with BitsAllocated 1 (PS3.5 §8.1.1: bits are packed across frames without
   * padding): the bit (0 = least significant) of the first byte where the frame starts. Ranges then cover
   * every byte holding a bit of the frame, so consecutive frames may share a byte.
   */
  bitOffset?: number;
}

/** A value that was not kept in the JSON: its path, VR and where its Value Field is. */
export interface BulkDataRef {
  /** Tags and item indexes from the top level: '7FE00010', '54000100/0/54001010' (tag / item index / tag). */
  path: string;
  vr: string;
  /** Offset of the Value Field. For encapsulated pixel data, of the first Item tag (the Basic Offset Table). */
  offset: number;
  /** Length of the Value Field; for encapsulated pixel data, up to and including the Sequence Delimitation Item. */
  length: number;
}

/** Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) of the top level. */
export interface PixelDataIndex {
  tag: string;
  vr: string;
  /** Offset of the Value Field (native: the first pixel byte; encapsulated: the Basic Offset Table's Item tag). */
  offset: number;
  /** Length of the Value Field; undefined when encapsulated (undefined length, PS3.5 §A.4). */
  length?: number;
  encapsulated: boolean;
  /** The Basic Offset Table (PS3.5 §A.4), empty when the first Item has no value. */
  basicOffsetTable: number[];
  /** The values of each fragment after the Basic Offset Table. */
  fragments: ByteRange[];
  frames: FrameRanges[];
  /** How frames were found for encapsulated data (PS3.5 §A.4): which table or rule mapped fragments to frames. */
  frameMapping?: 'ExtendedOffsetTable' | 'BasicOffsetTable' | 'OneFragmentPerFrame' | 'SingleFrame' | 'FrameMarkers';
}

/** What the scanner learned from one Part 10 file. */
export interface Part10Scan {
  transferSyntaxUid: string;
  /** The File Meta Information (group 0002) as DICOM JSON. */
  meta: DicomJsonDataset;
  /**
   * The data set as DICOM JSON (PS3.18 Annex F) without the top-level pixel data. Binary values (OB OD OF OL
   * OV OW UN) longer than the bulk data threshold appear as `{ vr, BulkDataURI: 'bulkdata/<path>' }` (relative:
   * the server prefixes the instance URL); shorter ones as InlineBinary.
   */
  dataset: DicomJsonDataset;
  /** Every value given a BulkDataURI (top-level and nested), then the pixel data. */
  bulk: BulkDataRef[];
  pixelData?: PixelDataIndex;
  /** Bytes of the whole file as received. */
  size: number;
  /**
   * Deflated Explicit VR Little Endian (and the JPIP Deflate syntaxes): offsets count bytes of the file as if
   * its data set were inflated — the File Meta Information as stored, then the inflated data set. Byte ranges
   * cannot be read from the stored file directly; inflate it first.
   */
  deflated: boolean;
  /** Problems that did not stop reading (e.g. frames that could not be mapped to fragments). */
  warnings: string[];
}

/** The UIDs that identify an instance and its place (PS3.3 C.12.1, C.7.2.1, C.7.3.1) and how it is encoded. */
export interface Part10Identity {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}
