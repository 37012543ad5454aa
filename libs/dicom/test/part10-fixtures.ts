// Builders of Part 10 test files: through writePart10 for well-formed ones, byte by byte for broken ones.
import { Writable, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Tag, TransferSyntaxUid, writePart10, type DicomJsonDataset, type WritePart10Options } from '../src';

export const uids = {
  sopClass: '1.2.840.10008.5.1.4.1.1.7',
  sopInstance: '2.25.111',
  study: '2.25.222',
  series: '2.25.333',
};

/** The attributes every test instance has: the four identifying UIDs. */
export function identity(extra: DicomJsonDataset = {}): DicomJsonDataset {
  return {
    [Tag.SOPClassUID]: { vr: 'UI', Value: [uids.sopClass] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [uids.sopInstance] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [uids.study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [uids.series] },
    ...extra,
  };
}

/** The whole output of writePart10. */
export async function part10(options: WritePart10Options): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of writePart10(options)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Image Pixel module attributes (PS3.3 C.7.6.3). */
export function imagePixel(
  rows: number,
  columns: number,
  bitsAllocated: number,
  frames = 1,
  samples = 1,
): DicomJsonDataset {
  return {
    [Tag.SamplesPerPixel]: { vr: 'US', Value: [samples] },
    [Tag.PhotometricInterpretation]: { vr: 'CS', Value: [samples === 1 ? 'MONOCHROME2' : 'RGB'] },
    [Tag.NumberOfFrames]: { vr: 'IS', Value: [frames] },
    [Tag.Rows]: { vr: 'US', Value: [rows] },
    [Tag.Columns]: { vr: 'US', Value: [columns] },
    [Tag.BitsAllocated]: { vr: 'US', Value: [bitsAllocated] },
    [Tag.BitsStored]: { vr: 'US', Value: [bitsAllocated] },
    [Tag.HighBit]: { vr: 'US', Value: [bitsAllocated - 1] },
    [Tag.PixelRepresentation]: { vr: 'US', Value: [0] },
  };
}

/** Bytes 0, 1, 2 … (mod 251) so that every range of a test file has recognisable content. */
export const pattern = (length: number, seed = 0): Buffer =>
  Buffer.from(Array.from({ length }, (_, i) => (i + seed) % 251));

/** A fake JPEG frame: SOI, bytes, EOI. */
export const jpegFrame = (length: number, seed: number): Buffer =>
  Buffer.concat([Buffer.of(0xff, 0xd8), pattern(length, seed), Buffer.of(0xff, 0xd9)]);

/** A data set with every kind of element: text, numbers, nested sequences, short and long binary values. */
export function richDataset(): DicomJsonDataset {
  return identity({
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 100'] },
    [Tag.ImageType]: { vr: 'CS', Value: ['ORIGINAL', null, 'AXIAL'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller^Hans' }] },
    [Tag.ReferringPhysicianName]: { vr: 'PN' },
    [Tag.PatientID]: { vr: 'LO', Value: ['ID-1'] },
    [Tag.PixelSpacing]: { vr: 'DS', Value: [0.5, 0.25] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [7] },
    [Tag.FrameIncrementPointer]: { vr: 'AT', Value: ['00181063'] },
    [Tag.RedPaletteColorLookupTableData]: { vr: 'OW', InlineBinary: pattern(16).toString('base64') },
    [Tag.GreenPaletteColorLookupTableData]: { vr: 'OW', InlineBinary: pattern(300, 1).toString('base64') },
    [Tag.ReferencedImageSequence]: {
      vr: 'SQ',
      Value: [
        {
          [Tag.ReferencedSOPClassUID]: { vr: 'UI', Value: [uids.sopClass] },
          [Tag.PurposeOfReferenceCodeSequence]: {
            vr: 'SQ',
            Value: [
              {
                [Tag.CodeValue]: { vr: 'SH', Value: ['121311'] },
                [Tag.LongPrimitivePointIndexList]: { vr: 'OL', InlineBinary: pattern(200, 2).toString('base64') },
              },
            ],
          },
        },
        {},
      ],
    },
    [Tag.ReferencedStudySequence]: { vr: 'SQ' },
  });
}

/** Little-endian Explicit VR element bytes (PS3.5 §7.1.2), for hand-built files. */
export function element(tag: string, vr: string, value: Buffer | string, lengthOverride?: number): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const long = ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  h.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(lengthOverride ?? v.length, 8);
  else h.writeUInt16LE(lengthOverride ?? v.length, 6);
  return Buffer.concat([h, v]);
}

/** An Item, Item Delimitation or Sequence Delimitation header (tag FFFE,xxxx + 32-bit length). */
export function itemTag(elementNumber: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(elementNumber, 2);
  b.writeUInt32LE(length, 4);
  return b;
}

/** Preamble, DICM and a File Meta Information with the given Transfer Syntax, then `body` (hand-built). */
export function handBuilt(body: Buffer, transferSyntaxUid: string = TransferSyntaxUid.ExplicitVRLittleEndian): Buffer {
  const ts = transferSyntaxUid.length % 2 ? `${transferSyntaxUid}\0` : transferSyntaxUid;
  const metaBody = Buffer.concat([element('00020001', 'OB', Buffer.of(0, 1)), element('00020010', 'UI', ts)]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, element('00020000', 'UL', groupLength), metaBody, body]);
}

/** The identifying UIDs as hand-built elements. */
const ui = (uid: string): string => (uid.length % 2 ? `${uid}\0` : uid);
export const identityElements = (): Buffer =>
  Buffer.concat([
    element('00080016', 'UI', ui(uids.sopClass)),
    element('00080018', 'UI', ui(uids.sopInstance)),
    element('0020000D', 'UI', ui(uids.study)),
    element('0020000E', 'UI', ui(uids.series)),
  ]);

/**
 * A 2 GiB native multi-frame Part 10 stream (4096 frames of 512 × 512 × 16 bits) made without allocating
 * it: one 64 KiB buffer (the size of a socket or file read) is yielded again and again as pixel data.
 */
export function twoGibMultiframe(extra: DicomJsonDataset = {}): { file: Readable; length: number; frames: number } {
  const frames = 4096;
  const length = 512 * 512 * 2 * frames;
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  async function* pixels(): AsyncGenerator<Buffer> {
    for (let sent = 0; sent < length; sent += chunk.length) yield chunk;
  }
  const file = writePart10({
    dataset: identity({ ...imagePixel(512, 512, 16, frames), ...extra }),
    pixelData: { value: { length, open: pixels } },
  });
  return { file, length, frames };
}

/**
 * Runs `streams` into a sink that drops what it gets (after `onChunk`), sampling the process's RSS every
 * 256 MiB; prints and returns the bytes that reached the sink and the RSS growth over the run.
 */
export async function drainWithFlatMemory(
  what: string,
  streams: [Readable, ...Duplex[]],
  onChunk: (chunk: Buffer) => void = () => {},
): Promise<{ total: number; growthMiB: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  let total = 0;
  const started = Date.now();
  await pipeline([
    ...streams,
    new Writable({
      write(c: Buffer, _e, cb) {
        onChunk(c);
        total += c.length;
        if ((total & 0xfffffff) < c.length) peak = Math.max(peak, process.memoryUsage().rss);
        cb();
      },
    }),
  ]);
  peak = Math.max(peak, process.memoryUsage().rss);
  const seconds = (Date.now() - started) / 1000;
  const growthMiB = (peak - before) / 2 ** 20;
  console.log(
    `${what} ${(total / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(1)} s (${(total / 2 ** 20 / seconds).toFixed(0)} MiB/s); ` +
      `RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB (growth ${growthMiB.toFixed(1)} MiB)`,
  );
  return { total, growthMiB };
}
