import * as dicomParser from 'dicom-parser';
import { Readable } from 'node:stream';
import { Tag } from './dictionary';
import { TransferSyntaxUid } from './transfer-syntax';
import { implementationClassUid, writePart10 } from './write-part10';
import { identity, part10, pattern, richDataset } from '../test/part10-fixtures';
import { scanBuffer } from '../test/part10-test-io';

describe('writePart10', () => {
  it('writes a File Meta Information that dicom-parser reads, with its group length', async () => {
    const file = await part10({ dataset: identity() });
    expect(file.toString('latin1', 128, 132)).toBe('DICM');
    const parsed = dicomParser.parseDicom(file);
    expect(parsed.string('x00020010')).toBe(TransferSyntaxUid.ExplicitVRLittleEndian);
    expect(parsed.string('x00020002')).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(parsed.string('x00020003')).toBe('2.25.111');
    expect(parsed.string('x00020012')).toBe(implementationClassUid);
    const groupEnd = parsed.elements.x00020000!.dataOffset + 4 + parsed.uint32('x00020000')!;
    expect(groupEnd).toBe(parsed.elements.x00080016!.dataOffset - 8);
  });

  it('pads values to even length: text with a space, UI and OB with NUL (PS3.5 §7.1.1)', async () => {
    const file = await part10({
      dataset: identity({
        [Tag.PatientID]: { vr: 'LO', Value: ['ABC'] },
        [Tag.ICCProfile]: { vr: 'OB', InlineBinary: Buffer.of(1, 2, 3).toString('base64') },
        [Tag.FrameOfReferenceUID]: { vr: 'UI', Value: ['1.2.3'] },
      }),
    });
    const parsed = dicomParser.parseDicom(file);
    const bytes = (tag: string): Buffer => {
      const e = parsed.elements[tag]!;
      return file.subarray(e.dataOffset, e.dataOffset + e.length);
    };
    expect(bytes('x00100020')).toEqual(Buffer.from('ABC '));
    expect(bytes('x00282000')).toEqual(Buffer.of(1, 2, 3, 0));
    expect(bytes('x00200052')).toEqual(Buffer.from('1.2.3\0'));
  });

  it.each(['undefined', 'defined'] as const)(
    'writes sequences of %s length that dicom-parser and the scanner read alike',
    async (sequenceLength) => {
      const dataset = richDataset();
      const file = await part10({ dataset, sequenceLength });
      const parsed = dicomParser.parseDicom(file);
      const seq = parsed.elements.x00081140!;
      expect(seq.hadUndefinedLength ?? false).toBe(sequenceLength === 'undefined');
      expect(seq.items).toHaveLength(2);
      expect(seq.items![0]!.dataSet!.string('x00081150')).toBe('1.2.840.10008.5.1.4.1.1.7');
      const scan = await scanBuffer(file, 7, { maxHeaderBytes: 1 << 20, bulkDataThreshold: 1 << 20 });
      expect(scan.dataset).toEqual(dataset);
    },
  );

  it.each([
    TransferSyntaxUid.ImplicitVRLittleEndian,
    TransferSyntaxUid.ExplicitVRBigEndian,
    TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
  ])('writes %s that reads back to the same JSON', async (transferSyntaxUid) => {
    const dataset = richDataset();
    const scan = await scanBuffer(await part10({ dataset, transferSyntaxUid }), 64, {
      maxHeaderBytes: 1 << 20,
      bulkDataThreshold: 1 << 20,
    });
    expect(scan.transferSyntaxUid).toBe(transferSyntaxUid);
    expect(scan.dataset).toEqual(dataset);
  });

  it('encodes text in the Specific Character Set of each data set', async () => {
    const dataset = identity({
      [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 100'] },
      [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller' }] },
      [Tag.ReferencedStudySequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
            [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: '王^小東' }] },
          },
        ],
      },
    });
    const file = await part10({ dataset });
    expect(file.includes(Buffer.from('M\xfcller', 'latin1'))).toBe(true);
    expect(file.includes(Buffer.from('王^小東', 'utf8'))).toBe(true);
    expect((await scanBuffer(file)).dataset).toEqual(dataset);
  });

  it('streams bulk data and pixel data from their sources, in chunks', async () => {
    const big = pattern(300_000);
    const chunksOf = (b: Buffer): Readable => Readable.from([b.subarray(0, 1000), b.subarray(1000)]);
    const output = writePart10({
      dataset: identity({ [Tag.ICCProfile]: { vr: 'OB', BulkDataURI: 'bulkdata/00282000' } }),
      bulkData: (uri, path) =>
        path === Tag.ICCProfile && uri === 'bulkdata/00282000'
          ? { length: 1001, open: () => chunksOf(pattern(1001, 5)) }
          : undefined,
      pixelData: { vr: 'OB', value: { length: big.length, open: () => chunksOf(big) } },
    });
    const chunks: Buffer[] = [];
    for await (const c of output) chunks.push(c as Buffer);
    const file = Buffer.concat(chunks);
    const scan = await scanBuffer(file);
    const icc = scan.bulk.find((b) => b.path === Tag.ICCProfile)!;
    expect(icc.length).toBe(1002); // padded to even
    expect(file.subarray(icc.offset, icc.offset + 1001)).toEqual(pattern(1001, 5));
    expect(file.subarray(scan.pixelData!.offset, scan.pixelData!.offset + big.length)).toEqual(big);
  });

  it('writes encapsulated pixel data with its Basic Offset Table and padded fragments', async () => {
    const file = await part10({
      dataset: identity(),
      transferSyntaxUid: TransferSyntaxUid.JPEGBaseline8Bit,
      pixelData: { fragments: [pattern(5), pattern(8)], basicOffsetTable: [0, 14] },
    });
    const pixel = dicomParser.parseDicom(file).elements.x7fe00010!;
    expect(pixel.basicOffsetTable).toEqual([0, 14]);
    expect(pixel.fragments!.map((f) => f.length)).toEqual([6, 8]);
  });

  it.each([
    [
      'a BulkDataURI without bytes',
      { dataset: identity({ [Tag.ICCProfile]: { vr: 'OB', BulkDataURI: 'x' } }) },
      'InvalidValue',
    ],
    [
      'a stream shorter than announced',
      { dataset: identity(), pixelData: { value: { length: 10, open: () => Readable.from([Buffer.alloc(4)]) } } },
      'InvalidValue',
    ],
    [
      'a value too long for a 16-bit length',
      { dataset: identity({ [Tag.PatientID]: { vr: 'LO', Value: ['x'.repeat(70000)] } }) },
      'InvalidValue',
    ],
    ['a number that is not one', { dataset: identity({ [Tag.Rows]: { vr: 'US', Value: ['many'] } }) }, 'InvalidValue'],
    ['an unknown transfer syntax', { dataset: identity(), transferSyntaxUid: '1.2.3.4' }, 'UnsupportedTransferSyntax'],
  ])('fails the stream with a Part10Error for %s', async (_what, options, code) => {
    await expect(part10(options)).rejects.toMatchObject({ name: 'Part10Error', code });
  });
});
