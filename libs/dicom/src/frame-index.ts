// Where each frame of the pixel data is: PS3.5 §8.1.1 (native), §A.4 (encapsulated: Basic and Extended
// Offset Tables, fragments).
import { Tag } from './dictionary';
import { numberValue, stringValue, type DicomJsonDataset } from './dicom-json';
import { Part10Error } from './part10-error';
import { type ByteRange, type FrameRanges, type Part10Scan, type PixelDataIndex } from './part10-types';
import { frameMediaTypeOf } from './transfer-syntax';

export interface FrameIndexInput {
  dataset: DicomJsonDataset;
  transferSyntaxUid: string;
  pixelData: Omit<PixelDataIndex, 'frames' | 'frameMapping'>;
  /** The first bytes of each fragment (encapsulated only). */
  fragmentStarts: readonly Buffer[];
  extendedOffsetTable?: readonly bigint[];
  warnings: string[];
}

const numberOfFrames = (ds: DicomJsonDataset): number => {
  const n = numberValue(ds, Tag.NumberOfFrames);
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : 1;
};

// PS3.5 §8.1.1: native frames follow each other; a frame is Rows × Columns × samples × BitsAllocated bits.
// With BitsAllocated 1 frames are packed bit after bit with no padding, so a frame may start inside a byte:
// its ranges then cover every byte that holds one of its bits and bitOffset says where it starts.
// PS3.3 C.7.6.3.1.2: native YBR_FULL_422 stores two samples per pixel (Y Y Cb Cr for two pixels).
function nativeFrames(input: FrameIndexInput): FrameRanges[] {
  const { dataset: ds, pixelData, warnings } = input;
  const rows = numberValue(ds, Tag.Rows);
  const columns = numberValue(ds, Tag.Columns);
  if (!rows || !columns) return [];
  const floatBits =
    pixelData.tag === Tag.FloatPixelData ? 32 : pixelData.tag === Tag.DoubleFloatPixelData ? 64 : undefined;
  const bitsAllocated = floatBits ?? numberValue(ds, Tag.BitsAllocated);
  if (!bitsAllocated) return [];
  let samples = numberValue(ds, Tag.SamplesPerPixel) ?? 1;
  if (samples === 3 && stringValue(ds, Tag.PhotometricInterpretation) === 'YBR_FULL_422') samples = 2;
  const frames = numberOfFrames(ds);
  const bitsPerFrame = rows * columns * samples * bitsAllocated;
  const length = pixelData.length ?? 0;
  const out: FrameRanges[] = [];
  for (let k = 0; k < frames; k++) {
    const startBit = k * bitsPerFrame;
    const first = Math.floor(startBit / 8);
    const end = Math.ceil((startBit + bitsPerFrame) / 8);
    if (end > length) {
      warnings.push(`native pixel data of ${length} bytes holds ${k} of ${frames} frames of ${bitsPerFrame / 8} bytes`);
      break;
    }
    const frame: FrameRanges = { ranges: [{ offset: pixelData.offset + first, length: end - first }] };
    if (bitsAllocated % 8 !== 0) frame.bitOffset = startBit % 8;
    out.push(frame);
  }
  return out;
}

/** Whether a fragment starting with these bytes starts a frame: JPEG / JPEG-LS SOI, JPEG 2000 SOC or JP2 signature, RLE header. */
export function looksLikeFrameStart(start: Uint8Array): boolean {
  if (start.length >= 2 && start[0] === 0xff && start[1] === 0xd8) return true; // ISO 10918-1 / 14495-1 SOI
  if (start.length >= 2 && start[0] === 0xff && start[1] === 0x4f) return true; // ISO 15444-1 SOC
  if (start.length >= 8 && start[3] === 0x0c && start[4] === 0x6a && start[5] === 0x50 && start[6] === 0x20)
    return true; // jP box
  if (start.length >= 8) {
    // PS3.5 §G.5: the RLE header is the number of segments (1–15) then the offset of the first one, 64.
    const dv = new DataView(start.buffer, start.byteOffset, start.byteLength);
    const segments = dv.getUint32(0, true);
    if (segments >= 1 && segments <= 15 && dv.getUint32(4, true) === 64) return true;
  }
  return false;
}

/** Groups fragments by the offsets of each frame's first Item tag, relative to the first fragment's Item tag. */
function byOffsets(fragments: readonly ByteRange[], offsets: readonly number[]): FrameRanges[] | undefined {
  if (fragments.length === 0) return undefined;
  const base = fragments[0]!.offset - 8;
  const starts = new Map(fragments.map((f, i) => [f.offset - 8 - base, i]));
  const firstFragment = offsets.map((o) => starts.get(o));
  if (firstFragment.some((i) => i === undefined)) return undefined;
  const out: FrameRanges[] = [];
  for (let k = 0; k < firstFragment.length; k++) {
    const from = firstFragment[k]!;
    const to = k + 1 < firstFragment.length ? firstFragment[k + 1]! : fragments.length;
    if (to <= from) return undefined;
    out.push({ ranges: fragments.slice(from, to) });
  }
  return out;
}

/**
 * Maps encapsulated fragments to frames (PS3.5 §A.4), in this order: the Extended Offset Table (7FE0,0001);
 * the Basic Offset Table; one fragment per frame when the counts match; all fragments for a single frame;
 * otherwise the fragments whose first bytes start a JPEG, JPEG-LS, JPEG 2000 or RLE frame. Video transfer
 * syntaxes hold one bitstream for all frames (PS3.18 §8.7.3.3.2 Note 5): no frames are listed.
 */
function encapsulatedFrames(input: FrameIndexInput): Pick<PixelDataIndex, 'frames' | 'frameMapping'> {
  const { dataset: ds, pixelData, warnings } = input;
  const fragments = pixelData.fragments;
  if (frameMediaTypeOf(input.transferSyntaxUid)?.startsWith('video/')) return { frames: [] };
  if (fragments.length === 0) {
    warnings.push('encapsulated pixel data has no fragments');
    return { frames: [] };
  }
  const frames = numberOfFrames(ds);
  const eot = input.extendedOffsetTable;
  if (eot && eot.length > 0) {
    const mapped = byOffsets(fragments, eot.map(Number));
    if (mapped) return { frames: mapped, frameMapping: 'ExtendedOffsetTable' };
    warnings.push('the Extended Offset Table does not point at fragment starts; ignored');
  }
  if (pixelData.basicOffsetTable.length > 0) {
    const mapped = byOffsets(fragments, pixelData.basicOffsetTable);
    if (mapped) return { frames: mapped, frameMapping: 'BasicOffsetTable' };
    warnings.push('the Basic Offset Table does not point at fragment starts; ignored');
  }
  if (fragments.length === frames)
    return { frames: fragments.map((f) => ({ ranges: [f] })), frameMapping: 'OneFragmentPerFrame' };
  if (frames === 1) return { frames: [{ ranges: [...fragments] }], frameMapping: 'SingleFrame' };
  const starts: number[] = [];
  input.fragmentStarts.forEach((s, i) => {
    if (looksLikeFrameStart(s)) starts.push(i);
  });
  if (starts.length === frames && starts[0] === 0) {
    const out = starts.map((from, k) => ({ ranges: fragments.slice(from, starts[k + 1] ?? fragments.length) }));
    return { frames: out, frameMapping: 'FrameMarkers' };
  }
  warnings.push(`cannot map ${fragments.length} fragments to ${frames} frames (no offset table, no frame markers)`);
  return { frames: [] };
}

/** The frames of the pixel data. */
export function indexFrames(input: FrameIndexInput): Pick<PixelDataIndex, 'frames' | 'frameMapping'> {
  return input.pixelData.encapsulated ? encapsulatedFrames(input) : { frames: nativeFrames(input) };
}

/**
 * The byte ranges of frames by their 1-based numbers (PS3.18 §10.4.1.1.4 RetrieveFrames). Throws
 * Part10Error('NoSuchFrame') for an instance without frames or a number out of range.
 */
export function frameByteRanges(scan: Pick<Part10Scan, 'pixelData'>, frameNumbers: readonly number[]): FrameRanges[] {
  const frames = scan.pixelData?.frames ?? [];
  return frameNumbers.map((n) => {
    const frame = Number.isInteger(n) ? frames[n - 1] : undefined;
    if (!frame) throw new Part10Error('NoSuchFrame', `frame ${n} is not in 1..${frames.length}`);
    return frame;
  });
}
