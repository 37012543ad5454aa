import { Part10Scanner, Tag, TransferSyntaxUid, writePart10, type DicomJsonDataset } from '@pacs/dicom';
import { ImagingError } from '@pacs/imaging';
import { FsBlobStore } from '@pacs/storage';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileMetaEnd, readFrameBytes, readInflatedRanges } from './read-frame-bytes';

const dataset = (frames: number): DicomJsonDataset => ({
  [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
  [Tag.SOPInstanceUID]: { vr: 'UI', Value: ['2.25.1'] },
  [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['2.25.2'] },
  [Tag.SeriesInstanceUID]: { vr: 'UI', Value: ['2.25.3'] },
  [Tag.SamplesPerPixel]: { vr: 'US', Value: [1] },
  [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['MONOCHROME2'] },
  [Tag.NumberOfFrames]: { vr: 'IS', Value: [frames] },
  [Tag.Rows]: { vr: 'US', Value: [64] },
  [Tag.Columns]: { vr: 'US', Value: [64] },
  [Tag.BitsAllocated]: { vr: 'US', Value: [8] },
  [Tag.BitsStored]: { vr: 'US', Value: [8] },
  [Tag.HighBit]: { vr: 'US', Value: [7] },
  [Tag.PixelRepresentation]: { vr: 'US', Value: [0] },
});

/** Frame k of the test pixel data: SHA-256 blocks (deflate cannot shrink them), different per frame. */
const frameBytes = (k: number): Buffer =>
  Buffer.concat(Array.from({ length: (64 * 64) / 32 }, (_, j) => createHash('sha256').update(`${k}:${j}`).digest()));

async function file(transferSyntaxUid: string, frames: number): Promise<Buffer> {
  const pixels = Buffer.concat(Array.from({ length: frames }, (_, k) => frameBytes(k)));
  const chunks: Buffer[] = [];
  for await (const c of writePart10({
    dataset: dataset(frames),
    transferSyntaxUid,
    pixelData: { vr: 'OB', value: pixels },
  })) {
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The frames' byte ranges as STOW-RS indexes them (Part10Scanner over the whole file). */
async function frameIndex(bytes: Buffer) {
  const scanner = new Part10Scanner({ maxHeaderBytes: 1 << 20, bulkDataThreshold: 1024 });
  await pipeline(Readable.from([bytes]), scanner, new Writable({ write: (_c, _e, cb) => cb() }));
  return scanner.result().pixelData!.frames;
}

describe('readFrameBytes', () => {
  let dir: string;
  let blobs: FsBlobStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pacs-render-frames-'));
    blobs = new FsBlobStore(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a frame by its byte ranges', async () => {
    const bytes = await file(TransferSyntaxUid.ExplicitVRLittleEndian, 3);
    await blobs.put('native.dcm', Readable.from([bytes]));
    const frames = await frameIndex(bytes);
    expect(await readFrameBytes(blobs, 'native.dcm', frames[1]!.ranges)).toEqual(frameBytes(1));
  });

  it('reads a frame of a Deflated instance through the inflater (PS3.5 §A.5)', async () => {
    const bytes = await file(TransferSyntaxUid.DeflatedExplicitVRLittleEndian, 3);
    await blobs.put('deflated.dcm', Readable.from([bytes]));
    const frames = await frameIndex(bytes);
    for (const k of [0, 2]) {
      expect(await readFrameBytes(blobs, 'deflated.dcm', frames[k]!.ranges, { deflated: true })).toEqual(frameBytes(k));
    }
  });

  it('stops reading a Deflated instance once the ranges are complete', async () => {
    // 200 frames of 4 KiB: reading the first pulls only what the streams buffer (some 16 KiB each), not the file.
    const bytes = await file(TransferSyntaxUid.DeflatedExplicitVRLittleEndian, 200);
    const frames = await frameIndex(bytes);
    let served = 0;
    const source = Readable.from(
      (function* () {
        for (let at = 0; at < bytes.length; at += 64) {
          served += Math.min(64, bytes.length - at);
          yield bytes.subarray(at, at + 64);
        }
      })(),
    );
    const [first] = await readInflatedRanges(source, frames[0]!.ranges);
    expect(first).toEqual(frameBytes(0));
    expect(served).toBeLessThan(256 * 1024);
    expect(bytes.length).toBeGreaterThan(800 * 1024);
    expect(source.destroyed).toBe(true);
  });

  it('says when a deflated data set is corrupt or too short', async () => {
    const bytes = await file(TransferSyntaxUid.DeflatedExplicitVRLittleEndian, 3);
    const frames = await frameIndex(bytes);
    const metaEnd = fileMetaEnd(bytes)!;
    const corrupt = Buffer.concat([bytes.subarray(0, metaEnd), Buffer.alloc(64, 0xff)]);
    await expect(readInflatedRanges(Readable.from([corrupt]), frames[2]!.ranges)).rejects.toBeInstanceOf(ImagingError);
    const short = bytes.subarray(0, metaEnd + 40);
    await expect(readInflatedRanges(Readable.from([short]), frames[2]!.ranges)).rejects.toBeInstanceOf(ImagingError);
  });
});

describe('fileMetaEnd', () => {
  it('finds where the data set starts, or asks for more bytes', async () => {
    const bytes = await file(TransferSyntaxUid.ExplicitVRLittleEndian, 1);
    const end = fileMetaEnd(bytes)!;
    expect(bytes.readUInt16LE(end)).toBe(0x0008);
    // PS3.10 §7.1: (0002,0000) File Meta Information Group Length counts the bytes after its own element.
    expect(bytes.subarray(132, 136)).toEqual(Buffer.of(0x02, 0x00, 0x00, 0x00));
    expect(end).toBe(132 + 12 + bytes.readUInt32LE(140));
    expect(fileMetaEnd(bytes.subarray(0, 140))).toBeUndefined();
  });

  it('refuses bytes that are not Part 10', () => {
    expect(() => fileMetaEnd(Buffer.alloc(200))).toThrow(ImagingError);
  });
});
