// Instances for the transcoding round trips of the conformance suite (PS3.18 §8.7.3): synthetic images in
// native transfer syntaxes, made with @pacs/dicom's writer, and a way to store a retrieved copy back under a
// new SOP Instance UID without touching its pixel data.
import { Tag, TransferSyntaxUid, writePart10, type DicomJsonDataset } from '@pacs/dicom';
import { randomInt } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** The lossless syntaxes a client may ask for (PS3.5 §8.2 "Lossless Only", the native web one and Deflated). */
export const losslessTargets = [
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
  TransferSyntaxUid.EncapsulatedUncompressedExplicitVRLittleEndian,
  TransferSyntaxUid.RLELossless,
  TransferSyntaxUid.JPEGLossless,
  TransferSyntaxUid.JPEGLosslessSV1,
  TransferSyntaxUid.JPEGLSLossless,
  TransferSyntaxUid.JPEG2000Lossless,
  TransferSyntaxUid.HTJ2KLossless,
  TransferSyntaxUid.HTJ2KLosslessRPCL,
] as const;

/** Stored syntaxes: the targets, and the two a web client cannot ask for but an archive receives (PS3.18 §8.7.3). */
export const losslessSources = [
  ...losslessTargets,
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
] as const;

export interface SyntheticImage {
  name: string;
  rows: number;
  columns: number;
  samplesPerPixel: 1 | 3;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean;
  frames: number;
  /** Every frame's samples, little endian, interleaved: what Explicit VR Little Endian frames hold. */
  pixels: Buffer;
  sopUid: string;
}

/** A UID under 2.25 (PS3.5 §B.2) whose last digits can be changed without changing its length. */
export const newUid = (): string =>
  `2.25.${randomInt(1, 2 ** 47)}${String(randomInt(0, 2 ** 47)).padStart(15, '1')}1000000`;

/** Smooth gradients with a ring and some noise: compressible, not trivial, extremes present. */
function synthesize(img: Omit<SyntheticImage, 'pixels' | 'sopUid' | 'name'>): Buffer {
  const count = img.rows * img.columns * img.samplesPerPixel * img.frames;
  const bytes = img.bitsAllocated / 8;
  const out = Buffer.alloc(count * bytes);
  const max = img.signed ? 2 ** (img.bitsStored - 1) - 1 : 2 ** img.bitsStored - 1;
  const min = img.signed ? -(2 ** (img.bitsStored - 1)) : 0;
  let seed = 12345;
  for (let i = 0; i < count; i++) {
    const s = i % img.samplesPerPixel;
    const p = Math.floor(i / img.samplesPerPixel);
    const x = p % img.columns;
    const y = Math.floor(p / img.columns) % img.rows;
    const f = Math.floor(p / (img.rows * img.columns));
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const t =
      0.45 * (x / img.columns) +
      0.3 * (y / img.rows) +
      0.15 * Math.sin(Math.hypot(x - img.columns / 2, y - img.rows / 2) / (2 + s + f)) +
      0.1 * (seed / 0x7fffffff);
    let v = Math.round(min + Math.min(1, Math.max(0, t)) * (max - min));
    if (i === 0) v = min;
    if (i === count - 1) v = max;
    if (bytes === 1) out[i] = v;
    else if (img.signed) out.writeInt16LE(v, i * 2);
    else out.writeUInt16LE(v, i * 2);
  }
  return out;
}

/** Grey 16-bit signed (CT-like, two frames), grey 8-bit, RGB 8-bit, grey 12 bits stored in 16. */
export function syntheticImages(): SyntheticImage[] {
  const shapes: Omit<SyntheticImage, 'pixels' | 'sopUid'>[] = [
    {
      name: 'ct16s',
      rows: 48,
      columns: 64,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      signed: true,
      frames: 2,
    },
    {
      name: 'mono8',
      rows: 30,
      columns: 40,
      samplesPerPixel: 1,
      bitsAllocated: 8,
      bitsStored: 8,
      signed: false,
      frames: 1,
    },
    {
      name: 'rgb8',
      rows: 24,
      columns: 32,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      bitsStored: 8,
      signed: false,
      frames: 1,
    },
    {
      name: 'mono12',
      rows: 64,
      columns: 64,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 12,
      signed: false,
      frames: 1,
    },
  ];
  return shapes.map((s) => ({ ...s, pixels: synthesize(s), sopUid: newUid() }));
}

/** The data set of an image: enough of the SC Multi-frame IODs for the archive and the codecs. */
export function datasetOf(
  img: SyntheticImage,
  ids: { study: string; series: string; patientId: string },
): DicomJsonDataset {
  const us = (v: number) => ({ vr: 'US', Value: [v] });
  return {
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
    [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [img.sopUid] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [ids.study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [ids.series] },
    [Tag.PatientID]: { vr: 'LO', Value: [ids.patientId] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Transcoding^Round^Trip' }] },
    [Tag.Modality]: { vr: 'CS', Value: ['OT'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [900] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [1] },
    [Tag.ImageComments]: { vr: 'LT', Value: [img.name] },
    [Tag.SamplesPerPixel]: us(img.samplesPerPixel),
    [Tag.PhotometricInterpretation]: { vr: 'CS', Value: [img.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'] },
    ...(img.samplesPerPixel === 3 ? { [Tag.PlanarConfiguration]: us(0) } : {}),
    ...(img.frames > 1 ? { [Tag.NumberOfFrames]: { vr: 'IS', Value: [img.frames] } } : {}),
    [Tag.Rows]: us(img.rows),
    [Tag.Columns]: us(img.columns),
    [Tag.BitsAllocated]: us(img.bitsAllocated),
    [Tag.BitsStored]: us(img.bitsStored),
    [Tag.HighBit]: us(img.bitsStored - 1),
    [Tag.PixelRepresentation]: us(img.signed ? 1 : 0),
  };
}

/** The image as a Part 10 file in a native syntax (Big Endian words swapped, PS3.5 §7.3). */
export async function nativeFile(
  img: SyntheticImage,
  ids: { study: string; series: string; patientId: string },
  transferSyntaxUid: string,
): Promise<Buffer> {
  const bigEndian = transferSyntaxUid === TransferSyntaxUid.ExplicitVRBigEndian;
  const pixels = Buffer.from(img.pixels);
  if (bigEndian && img.bitsAllocated === 16) pixels.swap16();
  return buffer(
    writePart10({
      dataset: datasetOf(img, ids),
      transferSyntaxUid,
      pixelData: { vr: img.bitsAllocated === 16 ? 'OW' : 'OB', value: pixels },
    }),
  );
}

/** A fresh UID of the same length as `old` (its last digits changed), so no length in the file changes. */
export function sameLengthUid(old: string, counter: number): string {
  const suffix = String(counter).padStart(7, '0');
  return `${old.slice(0, old.length - suffix.length)}${suffix}`;
}

function replaceAll(bytes: Buffer, from: string, to: string): Buffer {
  const needle = Buffer.from(from, 'latin1');
  const replacement = Buffer.from(to, 'latin1');
  const out = Buffer.from(bytes);
  for (let at = out.indexOf(needle); at !== -1; at = out.indexOf(needle, at + needle.length)) replacement.copy(out, at);
  return out;
}

/**
 * The same Part 10 file with another SOP Instance UID of the same length, in the File Meta Information and
 * the data set (Deflated data sets are inflated, patched and deflated again); pixel data is left as it is.
 */
export function withSopUid(file: Buffer, oldUid: string, newUid: string): Buffer {
  if (oldUid.length !== newUid.length) throw new Error('the new UID must have the length of the old one');
  const metaEnd = 144 + file.readUInt32LE(140);
  const deflated = file.subarray(0, metaEnd).includes(Buffer.from(TransferSyntaxUid.DeflatedExplicitVRLittleEndian));
  if (!deflated) return replaceAll(file, oldUid, newUid);
  const meta = replaceAll(file.subarray(0, metaEnd), oldUid, newUid);
  const dataset = replaceAll(inflateRawSync(file.subarray(metaEnd)), oldUid, newUid);
  return Buffer.concat([meta, deflateRawSync(dataset)]);
}
