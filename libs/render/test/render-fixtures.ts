// Synthetic instances whose rendering is known, written with writePart10, and a STOW-RS body of them.
import {
  generateUid,
  Tag,
  TransferSyntaxUid,
  writePart10,
  type DicomJsonDataset,
  type PixelDataSource,
} from '@pacs/dicom';
import { randomBytes } from 'node:crypto';

export interface Uids {
  study: string;
  series: string;
  sop: string;
}

export interface Instance {
  uids: Uids;
  bytes: Buffer;
}

const secondaryCapture = '1.2.840.10008.5.1.4.1.1.7';
const ctImage = '1.2.840.10008.5.1.4.1.1.2';
const basicTextSr = '1.2.840.10008.5.1.4.1.1.88.11';

function header(uids: Uids, sopClass: string, extra: DicomJsonDataset): DicomJsonDataset {
  return {
    [Tag.SOPClassUID]: { vr: 'UI', Value: [sopClass] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [uids.sop] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [uids.study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [uids.series] },
    [Tag.PatientID]: { vr: 'LO', Value: ['RENDER-TEST'] },
    ...extra,
  };
}

async function part10(
  dataset: DicomJsonDataset,
  transferSyntaxUid: string,
  pixelData?: PixelDataSource,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of writePart10({ dataset, transferSyntaxUid, ...(pixelData ? { pixelData } : {}) })) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const grey = (rows: number, columns: number, bits: number, stored: number, frames = 1): DicomJsonDataset => ({
  [Tag.SamplesPerPixel]: { vr: 'US', Value: [1] },
  [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['MONOCHROME2'] },
  ...(frames > 1 ? { [Tag.NumberOfFrames]: { vr: 'IS', Value: [frames] } } : {}),
  [Tag.Rows]: { vr: 'US', Value: [rows] },
  [Tag.Columns]: { vr: 'US', Value: [columns] },
  [Tag.BitsAllocated]: { vr: 'US', Value: [bits] },
  [Tag.BitsStored]: { vr: 'US', Value: [stored] },
  [Tag.HighBit]: { vr: 'US', Value: [stored - 1] },
  [Tag.PixelRepresentation]: { vr: 'US', Value: [0] },
});

/** The stored value of pixel (x, y) of the CT-like test image: a horizontal ramp 0 … 1008 (12 bits). */
export const ctValue = (x: number, _y: number): number => x * 16;
export const ctSize = 64;
/** The window the CT-like image carries in its data set (Window Center / Width). */
export const ctWindow = { center: 512, width: 1024 };

/** PS3.3 C.11.2.1.2.1 (LINEAR) and C.11.2.1.3.2 (LINEAR_EXACT) to 0 … 255, written out independently of @pacs/imaging. */
export function windowed(x: number, center: number, width: number, fn: 'LINEAR' | 'LINEAR_EXACT' = 'LINEAR'): number {
  if (fn === 'LINEAR') {
    if (x <= center - 0.5 - (width - 1) / 2) return 0;
    if (x > center - 0.5 + (width - 1) / 2) return 255;
    return Math.round(((x - (center - 0.5)) / (width - 1) + 0.5) * 255);
  }
  if (x <= center - width / 2) return 0;
  if (x > center + width / 2) return 255;
  return Math.round(((x - center) / width + 0.5) * 255);
}

/** A 64 × 64 12-bit CT-like ramp with a window in its data set. */
export async function ctInstance(
  uids: Uids,
  instanceNumber: number,
  transferSyntaxUid: string = TransferSyntaxUid.ExplicitVRLittleEndian,
): Promise<Instance> {
  const pixels = Buffer.alloc(ctSize * ctSize * 2);
  for (let y = 0; y < ctSize; y++) {
    for (let x = 0; x < ctSize; x++) pixels.writeUInt16LE(ctValue(x, y), (y * ctSize + x) * 2);
  }
  const dataset = header(uids, ctImage, {
    [Tag.Modality]: { vr: 'CS', Value: ['CT'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [1] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [instanceNumber] },
    ...grey(ctSize, ctSize, 16, 12),
    [Tag.RescaleIntercept]: { vr: 'DS', Value: [0] },
    [Tag.RescaleSlope]: { vr: 'DS', Value: [1] },
    [Tag.WindowCenter]: { vr: 'DS', Value: [ctWindow.center] },
    [Tag.WindowWidth]: { vr: 'DS', Value: [ctWindow.width] },
  });
  return { uids, bytes: await part10(dataset, transferSyntaxUid, { vr: 'OW', value: pixels }) };
}

/** Frame k (from 1) of the multi-frame test image is uniformly 50 · k; its window shows 8-bit values as they are. */
export const multiFrameValue = (frame: number): number => 50 * frame;
export const multiFrameSize = 32;

/** A 32 × 32 8-bit image of `frames` uniform frames, in series number 2. */
export async function multiFrameInstance(uids: Uids, frames = 3): Promise<Instance> {
  const size = multiFrameSize * multiFrameSize;
  const pixels = Buffer.alloc(size * frames);
  for (let k = 0; k < frames; k++) pixels.fill(multiFrameValue(k + 1), k * size, (k + 1) * size);
  const dataset = header(uids, secondaryCapture, {
    [Tag.Modality]: { vr: 'CS', Value: ['OT'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [2] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [1] },
    ...grey(multiFrameSize, multiFrameSize, 8, 8, frames),
    // LINEAR with center 128, width 256 maps 0 … 255 onto itself (PS3.3 C.11.2.1.2.1).
    [Tag.WindowCenter]: { vr: 'DS', Value: [128] },
    [Tag.WindowWidth]: { vr: 'DS', Value: [256] },
  });
  return { uids, bytes: await part10(dataset, TransferSyntaxUid.ExplicitVRLittleEndian, { vr: 'OB', value: pixels }) };
}

/** An 8-bit grey image as JPEG Baseline (one fragment per frame): a 0 … 252 horizontal ramp, 64 × 64. */
export async function jpegInstance(uids: Uids, instanceNumber: number, jpeg: Buffer): Promise<Instance> {
  const dataset = header(uids, secondaryCapture, {
    [Tag.Modality]: { vr: 'CS', Value: ['OT'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [1] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [instanceNumber] },
    ...grey(ctSize, ctSize, 8, 8),
    [Tag.LossyImageCompression]: { vr: 'CS', Value: ['01'] },
  });
  return {
    uids,
    bytes: await part10(dataset, TransferSyntaxUid.JPEGBaseline8Bit, { vr: 'OB', fragments: [jpeg] }),
  };
}

/** An instance without pixel data (a text SR), in series number 3. */
export async function reportInstance(uids: Uids): Promise<Instance> {
  const dataset = header(uids, basicTextSr, {
    [Tag.Modality]: { vr: 'CS', Value: ['SR'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [3] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [1] },
  });
  return { uids, bytes: await part10(dataset, TransferSyntaxUid.ExplicitVRLittleEndian) };
}

export const newUids = (study: string, series: string): Uids => ({ study, series, sop: generateUid() });

/** A STOW-RS request body (PS3.18 §10.5.1): multipart/related; type="application/dicom". */
export function stowBody(instances: readonly Instance[]): { body: Buffer; contentType: string } {
  const boundary = `render-test-${randomBytes(8).toString('hex')}`;
  const parts = instances.flatMap((i) => [
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
    i.bytes,
    Buffer.from('\r\n'),
  ]);
  return {
    body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** The parts of a multipart/related response body (small test bodies only: read whole). */
export function splitMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd);
    const headers: Record<string, string> = {};
    for (const line of body
      .subarray(afterDelimiter + 2, headerEnd)
      .toString('latin1')
      .split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  return parts;
}
