// An instance re-encoded in another transfer syntax (PS3.18 §8.7.3, PS3.5 §10): the data set from the index's
// DICOM JSON written again by @pacs/dicom's writePart10, bulk data copied from the original, and the pixel data
// copied (native Little Endian to native Little Endian) or transcoded frame by frame. Streams: memory holds
// the attributes and one frame, whatever the size of the instance.
import {
  Tag,
  transferSyntaxOf,
  writePart10,
  type BinarySource,
  type BulkDataRef,
  type DicomJsonDataset,
  type DicomJsonElement,
  type PixelDataSource,
} from '@pacs/dicom';
import type { EncodedFrame, PixelModule } from '@pacs/imaging';
import { Readable } from 'node:stream';
import type { ByteReader } from './blob-byte-reader';
import type { StoredPixelIndex } from './instance-catalog';
import type { PixelRewrite } from './plan-representation';
import { SwapWords, wordSizeOf } from './swap-words';

export interface TranscodeInstanceInput {
  /** The data set as the index keeps it: BulkDataURIs 'bulkdata/<path>', pixel data among them. */
  dataset: DicomJsonDataset;
  storedTransferSyntaxUid: string;
  targetTransferSyntaxUid: string;
  pixels: PixelRewrite;
  pixel?: StoredPixelIndex;
  bulk: readonly BulkDataRef[];
  /** Bytes of the stored instance, in the byte space of `pixel` and `bulk` (inflated for Deflated). */
  reader: ByteReader;
  pixelModule?: PixelModule;
  /** Frame `n` (1-based) in the target syntax: PixelRewrite 'frames' only. */
  encodeFrame?: (frameNumber: number) => Promise<EncodedFrame>;
}

/** Character sets the writer does not write (ISO 2022 code extensions, GB18030, GBK): recoded to UTF-8. */
const unwritableCharset = (term: unknown): boolean =>
  typeof term === 'string' && (term.startsWith('ISO 2022') || term === 'GB18030' || term === 'GBK');

/**
 * PS3.3 C.12.1.1.2: values are decoded to Unicode in the JSON, so a data set in a character set the writer
 * cannot produce is written in ISO_IR 192 (UTF-8), which holds every value unchanged.
 */
function recodeCharsets(ds: DicomJsonDataset): DicomJsonDataset {
  const out: DicomJsonDataset = { ...ds };
  const charset = out[Tag.SpecificCharacterSet];
  if (charset?.Value?.some(unwritableCharset)) out[Tag.SpecificCharacterSet] = { vr: 'CS', Value: ['ISO_IR 192'] };
  for (const [tag, element] of Object.entries(out)) {
    if (element.vr === 'SQ' && element.Value?.length) {
      out[tag] = { ...element, Value: element.Value.map((item) => recodeCharsets(item as DicomJsonDataset)) };
    }
  }
  return out;
}

/** PS3.3 C.7.6.3 / C.7.6.1.1.5: what the data set must say after the pixel data was re-encoded. */
function applyPixelModuleChanges(ds: DicomJsonDataset, changes: Partial<PixelModule>): void {
  const set = (tag: string, element: DicomJsonElement) => (ds[tag] = element);
  if (changes.photometricInterpretation !== undefined)
    set(Tag.PhotometricInterpretation, { vr: 'CS', Value: [changes.photometricInterpretation] });
  if (changes.planarConfiguration !== undefined)
    set(Tag.PlanarConfiguration, { vr: 'US', Value: [changes.planarConfiguration] });
  if (changes.lossyImageCompression !== undefined)
    set(Tag.LossyImageCompression, { vr: 'CS', Value: [changes.lossyImageCompression] });
  if (changes.lossyImageCompressionRatio !== undefined)
    set(Tag.LossyImageCompressionRatio, { vr: 'DS', Value: [...changes.lossyImageCompressionRatio] });
  if (changes.lossyImageCompressionMethod !== undefined)
    set(Tag.LossyImageCompressionMethod, { vr: 'CS', Value: [...changes.lossyImageCompressionMethod] });
}

/**
 * Writes the instance in the target syntax. The first frame is encoded before anything is returned (its
 * encoding may change Photometric Interpretation or add Lossy Image Compression, which the header written
 * first must say), and the first chunk is produced too, so a data set that cannot be written fails here,
 * before a response has begun. Lossy Image Compression Ratio is that of the first frame.
 */
export async function transcodeInstance(input: TranscodeInstanceInput): Promise<Readable> {
  const { storedTransferSyntaxUid: from, targetTransferSyntaxUid: to, pixel, reader } = input;
  const dataset = recodeCharsets(input.dataset);
  const swapOrder = (transferSyntaxOf(from)?.littleEndian ?? true) !== (transferSyntaxOf(to)?.littleEndian ?? true);

  let pixelData: PixelDataSource | undefined;
  if (pixel && (input.pixels === 'passthrough' || (input.pixels === 'copy' && !pixel.encapsulated))) {
    // Native Little Endian to native Little Endian, or native to the same syntax: the same bytes (PS3.5 §A.1,
    // §A.2, §A.5).
    const range = { offset: pixel.offset, length: pixel.length ?? 0 };
    pixelData = { tag: pixel.tag, vr: pixel.vr, value: { length: range.length, open: () => reader.stream([range]) } };
  } else if (pixel && input.pixels === 'copy') {
    // Encapsulated, to the same syntax: the stored fragments and Basic Offset Table as they are (PS3.5 §A.4);
    // the table, and an Extended Offset Table in the data set, stay right since every fragment is unchanged.
    pixelData = {
      tag: pixel.tag,
      vr: pixel.vr,
      basicOffsetTable: pixel.basicOffsetTable,
      fragments: pixel.fragments.map((range) => ({ length: range.length, open: () => reader.stream([range]) })),
    };
  } else if (pixel && input.pixels === 'frames') {
    const { encodeFrame, pixelModule: pm } = input;
    if (!encodeFrame || !pm) throw new Error('transcoding frames needs encodeFrame and the pixel module');
    const encode: (frameNumber: number) => Promise<EncodedFrame> = encodeFrame;
    const first = await encode(1);
    applyPixelModuleChanges(dataset, first.pixelModuleChanges);
    // The stored Extended Offset Table and total length (PS3.5 §A.4) describe the stored fragments.
    delete dataset[Tag.ExtendedOffsetTable];
    delete dataset[Tag.ExtendedOffsetTableLengths];
    delete dataset[Tag.EncapsulatedPixelDataValueTotalLength];
    const frameCount = pixel.frames.length;
    async function* frames(): AsyncGenerator<Buffer> {
      yield first.bytes;
      for (let n = 2; n <= frameCount; n++) {
        const { bytes } = await encode(n);
        if (!transferSyntaxOf(to)?.encapsulated && bytes.length !== first.bytes.length)
          throw new Error(`frame ${n} encodes to ${bytes.length} bytes, frame 1 to ${first.bytes.length}`);
        yield bytes;
      }
    }
    if (transferSyntaxOf(to)?.encapsulated) {
      // PS3.5 §A.4: one fragment per frame and an empty Basic Offset Table (the frames' sizes are not known
      // before they are encoded, and readers map one fragment per frame when the counts match).
      pixelData = { tag: pixel.tag, vr: 'OB', fragments: frames() };
    } else {
      // PS3.5 §A.2: OW above 8 bits allocated, OB otherwise (Implicit VR writes no VR).
      pixelData = {
        tag: pixel.tag,
        vr: pm.bitsAllocated > 8 ? 'OW' : 'OB',
        value: { length: first.bytes.length * frameCount, open: frames },
      };
    }
  }

  const refs = new Map(input.bulk.map((ref) => [ref.path, ref]));
  const bulkData = (_uri: string, path: string): BinarySource | undefined => {
    const ref = refs.get(path);
    if (!ref) return undefined;
    const range = { offset: ref.offset, length: ref.length };
    const size = wordSizeOf[ref.vr] as 2 | 4 | 8 | undefined;
    return {
      length: ref.length,
      open: () => (swapOrder && size ? reader.stream([range]).pipe(new SwapWords(size)) : reader.stream([range])),
    };
  };

  const written = writePart10({
    dataset,
    transferSyntaxUid: to,
    bulkData,
    ...(pixelData ? { pixelData } : {}),
  });
  const iterator = written[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await iterator.next().catch((error: unknown) => {
    written.destroy();
    throw error;
  });
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (!head.done) yield head.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      written.destroy();
    }
  }
  return Readable.from(all(), { objectMode: false });
}
