import * as dicomParser from 'dicom-parser';
import { deflateRawSync } from 'node:zlib';
import { type DicomJsonDataset } from './dicom-json';
import { Tag } from './dictionary';
import { Part10Error } from './part10-error';
import { TransferSyntaxUid } from './transfer-syntax';
import {
  element,
  handBuilt,
  identity,
  identityElements,
  imagePixel,
  itemTag,
  jpegFrame,
  part10,
  pattern,
  richDataset,
} from '../test/part10-fixtures';
import {
  addressedBytes,
  bytesOfRanges,
  chunked,
  defaultScanOptions,
  scanBuffer,
  scanChunks,
} from '../test/part10-test-io';

/** A deterministic pseudo-random sequence of chunk sizes (1–300 bytes). */
function randomSizes(seed: number, n = 997): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 1 + (x % 300);
  });
}

const expectPart10Error = async (p: Promise<unknown>, code: string): Promise<void> => {
  await expect(p).rejects.toBeInstanceOf(Part10Error);
  await expect(p).rejects.toMatchObject({ code });
};

async function richFile(transferSyntaxUid: string): Promise<Buffer> {
  const encapsulated = transferSyntaxUid === TransferSyntaxUid.JPEGBaseline8Bit;
  return part10({
    dataset: { ...richDataset(), ...imagePixel(4, 4, 8, 3) },
    transferSyntaxUid,
    pixelData: encapsulated
      ? { fragments: [jpegFrame(20, 1), jpegFrame(31, 2), jpegFrame(10, 3)], basicOffsetTable: [0, 32, 73] }
      : { vr: 'OB', value: pattern(48) },
  });
}

describe('Part10Scanner', () => {
  describe.each([
    ['Explicit VR Little Endian', TransferSyntaxUid.ExplicitVRLittleEndian],
    ['Implicit VR Little Endian', TransferSyntaxUid.ImplicitVRLittleEndian],
    ['Explicit VR Big Endian', TransferSyntaxUid.ExplicitVRBigEndian],
    ['Deflated Explicit VR Little Endian', TransferSyntaxUid.DeflatedExplicitVRLittleEndian],
    ['JPEG Baseline (encapsulated)', TransferSyntaxUid.JPEGBaseline8Bit],
  ])('in %s', (_name, ts) => {
    it('gives the same result for 1-byte, 7-byte, random and whole-file chunks, and passes every byte on', async () => {
      const file = await richFile(ts);
      const whole = await scanChunks([file]);
      expect(whole.passed.equals(file)).toBe(true);
      for (const sizes of [1, 7, randomSizes(1), randomSizes(2)]) {
        const { scan, passed } = await scanChunks(chunked(file, sizes));
        expect(passed.equals(file)).toBe(true);
        expect(scan).toEqual(whole.scan);
      }
      expect(whole.scan.transferSyntaxUid).toBe(ts);
      expect(whole.scan.size).toBe(file.length);
    });

    it('reads the data set, with BulkDataURIs whose byte ranges hold the values', async () => {
      const file = await richFile(ts);
      const scan = await scanBuffer(file);
      const bytes = addressedBytes(file, scan);
      const { dataset } = scan;
      expect(dataset[Tag.PatientName]).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Müller^Hans' }] });
      expect(dataset[Tag.ImageType]).toEqual({ vr: 'CS', Value: ['ORIGINAL', null, 'AXIAL'] });
      expect(dataset[Tag.ReferringPhysicianName]).toEqual({ vr: 'PN' });
      expect(dataset[Tag.PixelSpacing]).toEqual({ vr: 'DS', Value: [0.5, 0.25] });
      expect(dataset[Tag.FrameIncrementPointer]).toEqual({ vr: 'AT', Value: ['00181063'] });
      expect(dataset[Tag.RedPaletteColorLookupTableData]).toEqual({
        vr: 'OW',
        InlineBinary: pattern(16).toString('base64'),
      });
      expect(dataset[Tag.GreenPaletteColorLookupTableData]).toEqual({
        vr: 'OW',
        BulkDataURI: `bulkdata/${Tag.GreenPaletteColorLookupTableData}`,
      });
      expect(dataset[Tag.ReferencedStudySequence]).toEqual({ vr: 'SQ' });
      const items = dataset[Tag.ReferencedImageSequence]!.Value as Record<string, { Value?: unknown[] }>[];
      expect(items).toHaveLength(2);
      expect(items[1]).toEqual({});
      const nestedPath = `${Tag.ReferencedImageSequence}/0/${Tag.PurposeOfReferenceCodeSequence}/0/${Tag.LongPrimitivePointIndexList}`;
      const nested = (items[0]![Tag.PurposeOfReferenceCodeSequence]!.Value as Record<string, unknown>[])[0]!;
      expect(nested[Tag.LongPrimitivePointIndexList]).toEqual({ vr: 'OL', BulkDataURI: `bulkdata/${nestedPath}` });
      expect(dataset[Tag.PixelData]).toBeUndefined();

      const byPath = new Map(scan.bulk.map((b) => [b.path, b]));
      const big = ts === TransferSyntaxUid.ExplicitVRBigEndian;
      const green = bytesOfRanges(bytes, [byPath.get(Tag.GreenPaletteColorLookupTableData)!]);
      expect(big ? Buffer.from(green).swap16() : green).toEqual(pattern(300, 1));
      const ol = bytesOfRanges(bytes, [byPath.get(nestedPath)!]);
      expect(big ? Buffer.from(ol).swap32() : ol).toEqual(pattern(200, 2));
      expect(byPath.get(Tag.PixelData)).toBeDefined();
      expect(scan.deflated).toBe(ts === TransferSyntaxUid.DeflatedExplicitVRLittleEndian);
    });
  });

  it('agrees with dicom-parser on where the pixel data, its fragments and bulk values are', async () => {
    const file = await richFile(TransferSyntaxUid.JPEGBaseline8Bit);
    const scan = await scanBuffer(file, 7);
    const parsed = dicomParser.parseDicom(file);
    const pixel = parsed.elements.x7fe00010!;
    expect(scan.pixelData!.offset).toBe(pixel.dataOffset);
    expect(scan.pixelData!.fragments).toEqual(pixel.fragments!.map((f) => ({ offset: f.position, length: f.length })));
    expect(scan.pixelData!.basicOffsetTable).toEqual(pixel.basicOffsetTable);
    const green = parsed.elements.x00281202!;
    expect(scan.bulk.find((b) => b.path === Tag.GreenPaletteColorLookupTableData)).toEqual({
      path: Tag.GreenPaletteColorLookupTableData,
      vr: 'OW',
      offset: green.dataOffset,
      length: green.length,
    });
  });

  describe('frames', () => {
    it('finds native frames one after the other', async () => {
      const file = await part10({ dataset: identity(imagePixel(2, 3, 16, 4)), pixelData: { value: pattern(48) } });
      const scan = await scanBuffer(file);
      const p = scan.pixelData!;
      expect(p).toMatchObject({ tag: Tag.PixelData, vr: 'OW', length: 48, encapsulated: false, fragments: [] });
      expect(p.frames.map((f) => f.ranges)).toEqual(
        [0, 1, 2, 3].map((k) => [{ offset: p.offset + 12 * k, length: 12 }]),
      );
      expect(bytesOfRanges(file, p.frames[2]!.ranges)).toEqual(pattern(48).subarray(24, 36));
    });

    it('gives bit-packed frames (BitsAllocated 1) the bytes that hold their bits and the bit they start at', async () => {
      // 3 × 5 = 15 bits a frame (PS3.5 §8.1.1): frame 1 starts at bit 15, i.e. byte 1 bit 7.
      const file = await part10({
        dataset: identity(imagePixel(3, 5, 1, 4)),
        pixelData: { vr: 'OB', value: pattern(8) },
      });
      const p = (await scanBuffer(file)).pixelData!;
      expect(p.frames).toEqual([
        { ranges: [{ offset: p.offset, length: 2 }], bitOffset: 0 },
        { ranges: [{ offset: p.offset + 1, length: 3 }], bitOffset: 7 },
        { ranges: [{ offset: p.offset + 3, length: 3 }], bitOffset: 6 },
        { ranges: [{ offset: p.offset + 5, length: 3 }], bitOffset: 5 },
      ]);
    });

    it('sizes native YBR_FULL_422 frames with two samples a pixel (PS3.3 C.7.6.3.1.2)', async () => {
      const ds = {
        ...imagePixel(2, 2, 8, 2, 3),
        [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['YBR_FULL_422'] },
      };
      const p = (await scanBuffer(await part10({ dataset: identity(ds), pixelData: { vr: 'OB', value: pattern(16) } })))
        .pixelData!;
      expect(p.frames.map((f) => f.ranges[0]!.length)).toEqual([8, 8]);
    });

    it('reads Float Pixel Data (7FE0,0008) as 32-bit frames', async () => {
      const ds = identity({ ...imagePixel(2, 2, 32, 2), [Tag.BitsAllocated]: { vr: 'US', Value: [32] } });
      const p = (
        await scanBuffer(await part10({ dataset: ds, pixelData: { tag: Tag.FloatPixelData, value: pattern(32) } }))
      ).pixelData!;
      expect(p).toMatchObject({ tag: Tag.FloatPixelData, vr: 'OF', length: 32 });
      expect(p.frames).toHaveLength(2);
    });

    it('warns and lists the frames that fit when native pixel data is short', async () => {
      const scan = await scanBuffer(
        await part10({ dataset: identity(imagePixel(2, 2, 8, 3)), pixelData: { vr: 'OB', value: pattern(10) } }),
      );
      expect(scan.pixelData!.frames).toHaveLength(2);
      expect(scan.warnings.join()).toMatch(/holds 2 of 3 frames/);
    });

    const encapsulatedScan = async (
      frames: number,
      fragments: Buffer[],
      extra: DicomJsonDataset = {},
      basicOffsetTable: number[] = [],
    ) =>
      scanBuffer(
        await part10({
          dataset: identity({ ...imagePixel(8, 8, 8, frames), ...extra }),
          transferSyntaxUid: TransferSyntaxUid.JPEGBaseline8Bit,
          pixelData: { fragments, basicOffsetTable },
        }),
        13,
      );

    it('maps fragments to frames with the Basic Offset Table', async () => {
      const f = [jpegFrame(10, 1), pattern(8), jpegFrame(20, 2), pattern(6)];
      const scan = await encapsulatedScan(2, f, {}, [0, 14 + 8 + 8 + 8]);
      const p = scan.pixelData!;
      expect(p.frameMapping).toBe('BasicOffsetTable');
      expect(p.frames.map((fr) => fr.ranges)).toEqual([p.fragments.slice(0, 2), p.fragments.slice(2)]);
    });

    it('maps fragments to frames with the Extended Offset Table, in preference to the others', async () => {
      const f = [jpegFrame(10, 1), pattern(8), jpegFrame(20, 2)];
      const eot = Buffer.alloc(16);
      eot.writeBigUInt64LE(0n, 0);
      eot.writeBigUInt64LE(BigInt(14 + 8 + 8 + 8), 8);
      const lengths = Buffer.alloc(16);
      const scan = await encapsulatedScan(2, f, {
        [Tag.ExtendedOffsetTable]: { vr: 'OV', InlineBinary: eot.toString('base64') },
        [Tag.ExtendedOffsetTableLengths]: { vr: 'OV', InlineBinary: lengths.toString('base64') },
      });
      expect(scan.pixelData!.frameMapping).toBe('ExtendedOffsetTable');
      expect(scan.pixelData!.frames.map((fr) => fr.ranges.length)).toEqual([2, 1]);
    });

    it('maps one fragment per frame when the counts match, all fragments for a single frame', async () => {
      const one = await encapsulatedScan(3, [jpegFrame(4, 1), jpegFrame(6, 2), jpegFrame(8, 3)]);
      expect(one.pixelData!.frameMapping).toBe('OneFragmentPerFrame');
      expect(one.pixelData!.frames).toHaveLength(3);
      const single = await encapsulatedScan(1, [jpegFrame(4, 1), pattern(6), pattern(8)]);
      expect(single.pixelData!.frameMapping).toBe('SingleFrame');
      expect(single.pixelData!.frames[0]!.ranges).toHaveLength(3);
    });

    it('finds frame starts from the fragments’ first bytes without offset tables', async () => {
      const scan = await encapsulatedScan(2, [
        jpegFrame(10, 1),
        pattern(8, 9),
        pattern(4, 5),
        jpegFrame(6, 2),
        pattern(10, 7),
      ]);
      expect(scan.pixelData!.frameMapping).toBe('FrameMarkers');
      expect(scan.pixelData!.frames.map((fr) => fr.ranges.length)).toEqual([3, 2]);
    });

    it('warns and lists no frames when fragments cannot be mapped', async () => {
      const scan = await encapsulatedScan(2, [pattern(10, 9), pattern(8, 9), pattern(4, 5)]);
      expect(scan.pixelData!.frames).toEqual([]);
      expect(scan.warnings.join()).toMatch(/cannot map 3 fragments to 2 frames/);
    });
  });

  describe('encodings', () => {
    it('takes Implicit VR from the dictionary: US or SS by Pixel Representation, Pixel Data as OW', async () => {
      const ds = identity({
        ...imagePixel(1, 2, 16),
        [Tag.PixelRepresentation]: { vr: 'US', Value: [1] },
        [Tag.SmallestImagePixelValue]: { vr: 'SS', Value: [-5] },
      });
      const scan = await scanBuffer(
        await part10({
          dataset: ds,
          transferSyntaxUid: TransferSyntaxUid.ImplicitVRLittleEndian,
          pixelData: { value: pattern(4) },
        }),
      );
      expect(scan.dataset[Tag.SmallestImagePixelValue]).toEqual({ vr: 'SS', Value: [-5] });
      expect(scan.pixelData!.vr).toBe('OW');
    });

    it('reads an undefined-length UN as a sequence in Implicit VR Little Endian (PS3.5 §6.2.2)', async () => {
      const item = Buffer.concat([
        itemTag(0xe000, 0xffffffff),
        Buffer.from([0x10, 0x00, 0x20, 0x00, 4, 0, 0, 0]),
        Buffer.from('ID01'),
        itemTag(0xe00d, 0),
      ]);
      const body = Buffer.concat([
        identityElements(),
        element('00291010', 'UN', Buffer.concat([item, itemTag(0xe0dd, 0)]), 0xffffffff),
      ]);
      const scan = await scanBuffer(handBuilt(body), 3);
      expect(scan.dataset['00291010']).toEqual({
        vr: 'SQ',
        Value: [{ [Tag.PatientID]: { vr: 'LO', Value: ['ID01'] } }],
      });
    });

    it('reads a data set in the other VR encoding than its transfer syntax says, with a warning', async () => {
      const explicitBody = identityElements();
      const scan = await scanBuffer(handBuilt(explicitBody, TransferSyntaxUid.ImplicitVRLittleEndian));
      expect(scan.dataset[Tag.StudyInstanceUID]).toEqual({ vr: 'UI', Value: ['2.25.222'] });
      expect(scan.warnings.join()).toMatch(/Implicit VR but the data set is Explicit VR/);
    });

    it('gives offsets in the inflated data set for Deflated Explicit VR Little Endian', async () => {
      const file = await part10({
        dataset: identity(imagePixel(2, 2, 8)),
        transferSyntaxUid: TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
        pixelData: { vr: 'OB', value: pattern(4, 3) },
      });
      const scan = await scanBuffer(file, 5);
      expect(scan.deflated).toBe(true);
      expect(bytesOfRanges(addressedBytes(file, scan), scan.pixelData!.frames[0]!.ranges)).toEqual(pattern(4, 3));
    });
  });

  describe('bad input', () => {
    it('rejects a stream without the DICM prefix, or shorter than the preamble', async () => {
      await expectPart10Error(scanBuffer(Buffer.alloc(300)), 'NotDicom');
      await expectPart10Error(scanBuffer(Buffer.alloc(100)), 'NotDicom');
    });

    it('rejects a File Meta Information without Transfer Syntax UID', async () => {
      const preamble = Buffer.alloc(132);
      preamble.write('DICM', 128, 'latin1');
      await expectPart10Error(
        scanBuffer(Buffer.concat([preamble, element('00020001', 'OB', Buffer.of(0, 1)), identityElements()])),
        'MissingAttribute',
      );
    });

    it('rejects a file cut anywhere inside an element, and never fails otherwise', async () => {
      const file = await richFile(TransferSyntaxUid.JPEGBaseline8Bit);
      const full = await scanBuffer(file);
      const keys = Object.keys(full.dataset);
      let truncated = 0;
      for (let cut = 0; cut < file.length; cut++) {
        try {
          const scan = await scanBuffer(file.subarray(0, cut), 64);
          // A cut between two top-level elements leaves a shorter, valid file.
          expect(keys.slice(0, Object.keys(scan.dataset).length)).toEqual(Object.keys(scan.dataset));
        } catch (e) {
          expect(e).toBeInstanceOf(Part10Error);
          expect(['NotDicom', 'Truncated', 'MissingAttribute']).toContain((e as Part10Error).code);
          if ((e as Part10Error).code === 'Truncated') truncated++;
        }
      }
      expect(truncated).toBeGreaterThan(file.length * 0.8);
      // Inside the pixel data and inside a sequence: always Truncated.
      await expectPart10Error(scanBuffer(file.subarray(0, full.pixelData!.fragments[1]!.offset + 3)), 'Truncated');
      await expectPart10Error(scanBuffer(file.subarray(0, file.length - 4)), 'Truncated');
    });

    it.each([
      ['a VR that is not a VR', Buffer.concat([identityElements(), element('00100010', 'Q?', 'Doe')])],
      [
        'an undefined length on a text element',
        Buffer.concat([identityElements(), element('00100010', 'UT', 'Doe^J\0', 0xffffffff)]),
      ],
      [
        'an item running past its sequence',
        Buffer.concat([
          identityElements(),
          element('00081140', 'SQ', Buffer.concat([itemTag(0xe000, 100), Buffer.alloc(4)])),
        ]),
      ],
      [
        'something else than an item in a sequence',
        Buffer.concat([identityElements(), element('00081140', 'SQ', element('00100020', 'LO', 'ID'))]),
      ],
      [
        'a Basic Offset Table of 3 bytes',
        Buffer.concat([
          identityElements(),
          element('7FE00010', 'OB', Buffer.concat([itemTag(0xe000, 3), Buffer.alloc(3)]), 0xffffffff),
        ]),
      ],
      [
        'a fragment of undefined length',
        Buffer.concat([
          identityElements(),
          element('7FE00010', 'OB', Buffer.concat([itemTag(0xe000, 0), itemTag(0xe000, 0xffffffff)]), 0xffffffff),
        ]),
      ],
      [
        'an element inside an item that runs past the item',
        Buffer.concat([
          identityElements(),
          element('00081140', 'SQ', Buffer.concat([itemTag(0xe000, 10), element('00100020', 'LO', 'ID-VALUE')])),
        ]),
      ],
    ])('rejects %s as Malformed', async (_what, body) => {
      for (const size of [1, 4096]) await expectPart10Error(scanBuffer(handBuilt(body), size), 'Malformed');
    });

    it('rejects a deflated data set that does not inflate', async () => {
      await expectPart10Error(
        scanBuffer(
          handBuilt(
            Buffer.from('not deflate data at all, certainly'),
            TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
          ),
        ),
        'Malformed',
      );
      const good = deflateRawSync(identityElements());
      await expectPart10Error(
        scanBuffer(handBuilt(good.subarray(0, good.length - 3), TransferSyntaxUid.DeflatedExplicitVRLittleEndian)),
        'Truncated',
      );
    });

    it('rejects attributes larger than maxHeaderBytes, but not bulk data or pixel data', async () => {
      const big = identity({ [Tag.PatientComments]: { vr: 'LT', Value: ['x'.repeat(5000)] } });
      await expectPart10Error(
        scanBuffer(await part10({ dataset: big }), 100, { maxHeaderBytes: 4096, bulkDataThreshold: 64 }),
        'HeaderTooLarge',
      );
      const bulky = identity({ [Tag.ICCProfile]: { vr: 'OB', InlineBinary: pattern(20000).toString('base64') } });
      const scan = await scanBuffer(
        await part10({ dataset: bulky, pixelData: { vr: 'OB', value: pattern(30000) } }),
        100,
        { maxHeaderBytes: 4096, bulkDataThreshold: 64 },
      );
      expect(scan.bulk.map((b) => b.length)).toEqual([20000, 30000]);
    });

    it('emits errors on the stream rather than throwing', async () => {
      const { Part10Scanner } = await import('./part10-scanner');
      const scanner = new Part10Scanner(defaultScanOptions);
      const error = new Promise((resolve) => scanner.on('error', resolve));
      scanner.resume();
      scanner.write(Buffer.alloc(200));
      await expect(error).resolves.toMatchObject({ code: 'NotDicom' });
      expect(() => scanner.result()).toThrow(/once the stream has ended/);
    });
  });
});
