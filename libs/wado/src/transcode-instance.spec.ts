import { Part10Scanner, Tag, TransferSyntaxUid, writePart10, type ByteRange, type Part10Scan } from '@pacs/dicom';
import { decodeFrame } from '@pacs/imaging';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { bulkValue, syntheticDataset, syntheticPixels } from '../test/synthetic-instance';
import type { ByteReader } from './blob-byte-reader';
import { transcodeFrame, transcodingPixelModule } from './transcode-frame';
import { transcodeInstance } from './transcode-instance';

const T = TransferSyntaxUid;

async function scan(bytes: Buffer): Promise<Part10Scan> {
  const scanner = new Part10Scanner({ maxHeaderBytes: 1 << 20, bulkDataThreshold: 1024 });
  await pipeline(Readable.from([bytes]), scanner, async (source) => {
    for await (const _ of source) {
      // drain
    }
  });
  return scanner.result();
}

const readerOf = (bytes: Buffer): ByteReader => {
  const pick = (ranges: readonly ByteRange[]) =>
    Buffer.concat(ranges.map((r) => bytes.subarray(r.offset, r.offset + r.length)));
  return {
    read: async (ranges) => pick(ranges),
    stream: (ranges) => Readable.from([pick(ranges)]),
    open: async (ranges) => Readable.from([pick(ranges)]),
  };
};

const ids = { study: '1.2.3', series: '1.2.3.4', sop: '1.2.3.4.5', frames: 2, withBulk: true };

async function stored(transferSyntaxUid: string) {
  const pixels = syntheticPixels(32, 32, 2);
  const bigEndian = transferSyntaxUid === T.ExplicitVRBigEndian;
  const bytes = await buffer(
    writePart10({
      dataset: syntheticDataset(ids),
      transferSyntaxUid,
      pixelData: { vr: 'OW', value: bigEndian ? Buffer.from(pixels).swap16() : pixels },
      bulkData: () => (bigEndian ? Buffer.from(bulkValue(3000)).swap16() : bulkValue(3000)),
    }),
  );
  const s = await scan(bytes);
  const dataset = { ...s.dataset, [Tag.PixelData]: { vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' } };
  return { bytes, scan: s, dataset, pixels };
}

describe('transcodeInstance', () => {
  it('rewrites Implicit VR Little Endian as Explicit VR Little Endian with the same pixel and bulk bytes', async () => {
    const src = await stored(T.ImplicitVRLittleEndian);
    const out = await buffer(
      await transcodeInstance({
        dataset: src.dataset,
        storedTransferSyntaxUid: T.ImplicitVRLittleEndian,
        targetTransferSyntaxUid: T.ExplicitVRLittleEndian,
        pixels: 'passthrough',
        pixel: src.scan.pixelData,
        bulk: src.scan.bulk,
        reader: readerOf(src.bytes),
      }),
    );
    const result = await scan(out);
    expect(result.transferSyntaxUid).toBe(T.ExplicitVRLittleEndian);
    const frame = result.pixelData!.frames[1]!.ranges[0]!;
    expect(out.subarray(frame.offset, frame.offset + frame.length).equals(src.pixels.subarray(2048))).toBe(true);
    const icc = result.bulk.find((b) => b.path === Tag.ICCProfile)!;
    expect(out.subarray(icc.offset, icc.offset + icc.length).equals(bulkValue(3000))).toBe(true);
    expect(result.dataset[Tag.SOPInstanceUID]!.Value).toEqual(['1.2.3.4.5']);
  });

  it('swaps the words of pixel data and bulk values from Big Endian (PS3.5 §7.3)', async () => {
    const src = await stored(T.ExplicitVRBigEndian);
    const pm = transcodingPixelModule(src.dataset)!;
    const reader = readerOf(src.bytes);
    const out = await buffer(
      await transcodeInstance({
        dataset: src.dataset,
        storedTransferSyntaxUid: T.ExplicitVRBigEndian,
        targetTransferSyntaxUid: T.ExplicitVRLittleEndian,
        pixels: 'frames',
        pixel: src.scan.pixelData,
        bulk: src.scan.bulk,
        reader,
        pixelModule: pm,
        encodeFrame: async (n) =>
          transcodeFrame(
            T.ExplicitVRBigEndian,
            await reader.read(src.scan.pixelData!.frames[n - 1]!.ranges),
            pm,
            T.ExplicitVRLittleEndian,
          ),
      }),
    );
    const result = await scan(out);
    const pixel = result.pixelData!;
    expect(out.subarray(pixel.offset, pixel.offset + pixel.length!).equals(src.pixels)).toBe(true);
    const icc = result.bulk.find((b) => b.path === Tag.ICCProfile)!;
    // ICC Profile is OB: bytes, not words, are left as they are
    expect(out.subarray(icc.offset, icc.offset + icc.length).equals(Buffer.from(bulkValue(3000)).swap16())).toBe(true);
  });

  it('encodes every frame in a compressed syntax, one fragment each, and says what changed', async () => {
    const src = await stored(T.ExplicitVRLittleEndian);
    const pm = transcodingPixelModule(src.dataset)!;
    const reader = readerOf(src.bytes);
    const encode = (to: string) => async (n: number) =>
      transcodeFrame(T.ExplicitVRLittleEndian, await reader.read(src.scan.pixelData!.frames[n - 1]!.ranges), pm, to);
    const input = {
      dataset: { ...src.dataset, [Tag.ExtendedOffsetTable]: { vr: 'OV', InlineBinary: 'AAAAAAAAAAA=' } },
      storedTransferSyntaxUid: T.ExplicitVRLittleEndian,
      pixels: 'frames' as const,
      pixel: src.scan.pixelData,
      bulk: src.scan.bulk,
      reader,
      pixelModule: pm,
    };
    const lossless = await buffer(
      await transcodeInstance({
        ...input,
        targetTransferSyntaxUid: T.JPEGLSLossless,
        encodeFrame: encode(T.JPEGLSLossless),
      }),
    );
    const result = await scan(lossless);
    expect(result.transferSyntaxUid).toBe(T.JPEGLSLossless);
    expect(result.pixelData!.frameMapping).toBe('OneFragmentPerFrame');
    expect(result.dataset[Tag.ExtendedOffsetTable]).toBeUndefined();
    const second = result.pixelData!.frames[1]!;
    const bytes = Buffer.concat(second.ranges.map((r) => lossless.subarray(r.offset, r.offset + r.length)));
    const decoded = await decodeFrame(T.JPEGLSLossless, bytes, pm);
    expect(
      Buffer.from(decoded.pixels.buffer, decoded.pixels.byteOffset, decoded.pixels.byteLength).equals(
        src.pixels.subarray(2048),
      ),
    ).toBe(true);

    const lossy = await scan(
      await buffer(
        await transcodeInstance({ ...input, targetTransferSyntaxUid: T.JPEG2000, encodeFrame: encode(T.JPEG2000) }),
      ),
    );
    expect(lossy.dataset[Tag.LossyImageCompression]!.Value).toEqual(['01']);
    expect(lossy.dataset[Tag.LossyImageCompressionMethod]!.Value).toEqual(['ISO_15444_1']);
  });

  it('copies encapsulated pixel data as stored, fragments and Basic Offset Table, when only the data set changes', async () => {
    const fragments = [Buffer.from('FRAGMENT-1a'), Buffer.from('F1b.'), Buffer.from('FRAGMENT-2..')];
    const bytes = await buffer(
      writePart10({
        dataset: { ...syntheticDataset(ids), [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Old^Name' }] } },
        transferSyntaxUid: T.JPEGLSLossless,
        pixelData: { fragments, basicOffsetTable: [0, 28] },
        bulkData: () => bulkValue(3000),
      }),
    );
    const s = await scan(bytes);
    const out = await buffer(
      await transcodeInstance({
        dataset: { ...s.dataset, [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'New^Name' }] } },
        storedTransferSyntaxUid: T.JPEGLSLossless,
        targetTransferSyntaxUid: T.JPEGLSLossless,
        pixels: 'copy',
        pixel: s.pixelData,
        bulk: s.bulk,
        reader: readerOf(bytes),
      }),
    );
    const result = await scan(out);
    expect(result.dataset[Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'New^Name' }]);
    const value = (scanned: typeof s, file: Buffer) =>
      file.subarray(scanned.pixelData!.offset, scanned.pixelData!.offset + scanned.bulk.at(-1)!.length);
    // The whole encapsulated value — Basic Offset Table, items, fragments, delimiter — is the stored one.
    expect(value(result, out).equals(value(s, bytes))).toBe(true);
    expect(result.pixelData!.basicOffsetTable).toEqual([0, 28]);
  });

  it('writes a data set in an ISO 2022 character set as UTF-8', async () => {
    const src = await stored(T.ExplicitVRLittleEndian);
    const dataset = {
      ...src.dataset,
      [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['', 'ISO 2022 IR 87'] },
      [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] },
    };
    const out = await scan(
      await buffer(
        await transcodeInstance({
          dataset,
          storedTransferSyntaxUid: T.ExplicitVRLittleEndian,
          targetTransferSyntaxUid: T.DeflatedExplicitVRLittleEndian,
          pixels: 'passthrough',
          pixel: src.scan.pixelData,
          bulk: src.scan.bulk,
          reader: readerOf(src.bytes),
        }),
      ),
    );
    expect(out.dataset[Tag.SpecificCharacterSet]!.Value).toEqual(['ISO_IR 192']);
    expect(out.dataset[Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }]);
  });

  it('fails before returning when the data set cannot be written', async () => {
    const src = await stored(T.ExplicitVRLittleEndian);
    await expect(
      transcodeInstance({
        dataset: { ...src.dataset, [Tag.ImageComments]: { vr: 'LT', BulkDataURI: 'bulkdata/00204000' } },
        storedTransferSyntaxUid: T.ExplicitVRLittleEndian,
        targetTransferSyntaxUid: T.DeflatedExplicitVRLittleEndian,
        pixels: 'passthrough',
        pixel: src.scan.pixelData,
        bulk: src.scan.bulk,
        reader: readerOf(src.bytes),
      }),
    ).rejects.toMatchObject({ name: 'Part10Error' });
  });
});
