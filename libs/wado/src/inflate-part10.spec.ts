import { Part10Scanner, Tag, TransferSyntaxUid, writePart10 } from '@pacs/dicom';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { inflatePart10 } from './inflate-part10';

const dataset = {
  [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
  [Tag.SOPInstanceUID]: { vr: 'UI', Value: ['1.2.3.4.5'] },
  [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.3'] },
  [Tag.SeriesInstanceUID]: { vr: 'UI', Value: ['1.2.3.4'] },
  [Tag.Rows]: { vr: 'US', Value: [16] },
  [Tag.Columns]: { vr: 'US', Value: [16] },
  [Tag.SamplesPerPixel]: { vr: 'US', Value: [1] },
  [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['MONOCHROME2'] },
  [Tag.BitsAllocated]: { vr: 'US', Value: [16] },
  [Tag.BitsStored]: { vr: 'US', Value: [16] },
  [Tag.HighBit]: { vr: 'US', Value: [15] },
  [Tag.PixelRepresentation]: { vr: 'US', Value: [0] },
};
const pixels = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));

async function deflatedFile(): Promise<Buffer> {
  return buffer(
    writePart10({
      dataset,
      transferSyntaxUid: TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
      pixelData: { value: pixels },
    }),
  );
}

/** Splits bytes into chunks of `size` so boundaries fall everywhere. */
const chunked = (bytes: Buffer, size: number) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)),
  );

describe('inflatePart10', () => {
  it.each([1, 7, 150, 100_000])('gives the byte space of the scanner offsets (chunks of %d bytes)', async (size) => {
    const file = await deflatedFile();
    const scanner = new Part10Scanner({ maxHeaderBytes: 1 << 20, bulkDataThreshold: 1024 });
    await pipeline(Readable.from([file]), scanner, async (source) => {
      for await (const _ of source) {
        // drain
      }
    });
    const scan = scanner.result();
    expect(scan.deflated).toBe(true);
    const inflated = await buffer(inflatePart10(chunked(file, size)));
    const frame = scan.pixelData!.frames[0]!.ranges[0]!;
    expect(inflated.subarray(frame.offset, frame.offset + frame.length).equals(pixels)).toBe(true);
    expect(inflated.subarray(0, 132).equals(file.subarray(0, 132))).toBe(true);
  });

  it('ignores bytes after the end of the deflate stream', async () => {
    const file = Buffer.concat([await deflatedFile(), Buffer.from([0, 0, 0, 0])]);
    const inflated = await buffer(inflatePart10(Readable.from([file])));
    expect(inflated.subarray(inflated.length - pixels.length).equals(pixels)).toBe(true);
  });

  it('fails with a Part10Error on what is not a Part 10 file or is cut', async () => {
    await expect(buffer(inflatePart10(Readable.from([Buffer.alloc(300)])))).rejects.toMatchObject({
      name: 'Part10Error',
      code: 'NotDicom',
    });
    const file = await deflatedFile();
    await expect(buffer(inflatePart10(Readable.from([file.subarray(0, 140)])))).rejects.toMatchObject({
      code: 'Truncated',
    });
    const corrupt = Buffer.from(file);
    corrupt.fill(0xff, corrupt.length - 40);
    await expect(buffer(inflatePart10(Readable.from([corrupt])))).rejects.toMatchObject({ code: 'Malformed' });
  });
});
