import { Tag } from '@pacs/dicom';
import { expandSegmentedLut } from './lut';
import { type DicomJsonDataset, pixelModuleOf, resolveLutBulkData } from './pixel-module';

const us = (...values: number[]) => ({ vr: 'US', Value: values });
const cs = (...values: string[]) => ({ vr: 'CS', Value: values });
const ds = (...values: (number | string)[]) => ({ vr: 'DS', Value: values });

const ct = (): DicomJsonDataset => ({
  [Tag.Modality]: cs('CT'),
  [Tag.Rows]: us(512),
  [Tag.Columns]: us(512),
  [Tag.SamplesPerPixel]: us(1),
  [Tag.PhotometricInterpretation]: cs('MONOCHROME2'),
  [Tag.BitsAllocated]: us(16),
  [Tag.BitsStored]: us(12),
  [Tag.HighBit]: us(11),
  [Tag.PixelRepresentation]: us(1),
  [Tag.RescaleSlope]: ds('1'),
  [Tag.RescaleIntercept]: ds(-1024),
  [Tag.WindowCenter]: ds(40, '-600'),
  [Tag.WindowWidth]: ds(400, 1500),
  [Tag.WindowCenterWidthExplanation]: { vr: 'LO', Value: ['SOFT', 'LUNG'] },
  [Tag.PixelPaddingValue]: us(0xf830), // -2000 written as US
});

describe('pixelModuleOf', () => {
  it('reads the Image Pixel, rescale and window attributes of a CT', () => {
    const pm = pixelModuleOf(ct());
    expect(pm).toMatchObject({
      rows: 512,
      columns: 512,
      bitsStored: 12,
      pixelRepresentation: 1,
      planarConfiguration: 0,
      numberOfFrames: 1,
      rescaleSlope: 1,
      rescaleIntercept: -1024,
      voiLutFunction: 'LINEAR',
      pixelPaddingValue: -2000,
      modality: 'CT',
    });
    expect(pm.windows).toEqual([
      { center: 40, width: 400, explanation: 'SOFT' },
      { center: -600, width: 1500, explanation: 'LUNG' },
    ]);
  });

  it.each([Tag.Rows, Tag.BitsStored, Tag.PhotometricInterpretation, Tag.PixelRepresentation])(
    'names the missing Type 1 attribute %s',
    (tag) => {
      const dataset = ct();
      delete dataset[tag];
      expect(() => pixelModuleOf(dataset)).toThrow(expect.objectContaining({ code: 'MissingAttribute' }));
    },
  );

  it('refuses Bits Stored above Bits Allocated and a colour model with one sample', () => {
    expect(() => pixelModuleOf({ ...ct(), [Tag.BitsStored]: us(17) })).toThrow(/BitsStored 17/);
    expect(() => pixelModuleOf({ ...ct(), [Tag.PhotometricInterpretation]: cs('RGB') })).toThrow(/SamplesPerPixel 1/);
    expect(() => pixelModuleOf({ ...ct(), [Tag.VOILUTFunction]: cs('CURVED') })).toThrow(/VOILUTFunction CURVED/);
  });

  it('reads a VOI LUT given as US values and a Modality LUT given as OW InlineBinary', () => {
    const words = Buffer.alloc(8);
    [100, 200, 300, 400].forEach((v, i) => words.writeUInt16LE(v, 2 * i));
    const pm = pixelModuleOf({
      ...ct(),
      [Tag.VOILUTSequence]: {
        vr: 'SQ',
        Value: [{ [Tag.LUTDescriptor]: us(3, 0xfc18, 12), [Tag.LUTData]: us(0, 2048, 4095) }],
      },
      [Tag.ModalityLUTSequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.LUTDescriptor]: us(4, 0, 16),
            [Tag.ModalityLUTType]: { vr: 'LO', Value: ['HU'] },
            [Tag.LUTData]: { vr: 'OW', InlineBinary: words.toString('base64') },
          },
        ],
      },
    });
    expect(pm.voiLuts[0]).toMatchObject({ firstMapped: -1000, bitsPerEntry: 12 });
    expect(Array.from(pm.voiLuts[0].data)).toEqual([0, 2048, 4095]);
    expect(pm.modalityLut).toMatchObject({ type: 'HU', firstMapped: 0 });
    expect(Array.from(pm.modalityLut!.data)).toEqual([100, 200, 300, 400]);
  });

  it('asks for a resolver when LUT data is a BulkDataURI, and uses the bytes resolveLutBulkData fetched', async () => {
    const dataset: DicomJsonDataset = {
      ...ct(),
      [Tag.VOILUTSequence]: {
        vr: 'SQ',
        Value: [{ [Tag.LUTDescriptor]: us(2, 0, 8), [Tag.LUTData]: { vr: 'OW', BulkDataURI: 'lut/1' } }],
      },
    };
    expect(() => pixelModuleOf(dataset)).toThrow(/resolve it first/);
    const resolved = await resolveLutBulkData(dataset, async (uri) =>
      uri === 'lut/1' ? Uint8Array.from([7, 9]) : new Uint8Array(),
    );
    expect(Array.from(pixelModuleOf(resolved).voiLuts[0].data)).toEqual([7, 9]);
    expect(
      Array.from(pixelModuleOf(dataset, { resolveBulkData: () => Uint8Array.from([1, 0, 2, 0]) }).voiLuts[0].data),
    ).toEqual([1, 2]);
  });

  it('reads 8-bit palette data packed one entry per byte or one per word', () => {
    const palette = (data: Uint8Array) =>
      pixelModuleOf({
        ...ct(),
        [Tag.PixelRepresentation]: us(0),
        [Tag.BitsStored]: us(8),
        [Tag.HighBit]: us(7),
        [Tag.BitsAllocated]: us(8),
        [Tag.PhotometricInterpretation]: cs('PALETTE COLOR'),
        ...Object.fromEntries(
          (['Red', 'Green', 'Blue'] as const).flatMap((c) => [
            [Tag[`${c}PaletteColorLookupTableDescriptor`], us(4, 0, 8)],
            [Tag[`${c}PaletteColorLookupTableData`], { vr: 'OW', InlineBinary: Buffer.from(data).toString('base64') }],
          ]),
        ),
      }).palette!;
    expect(Array.from(palette(Uint8Array.from([1, 2, 3, 4])).red.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(palette(Uint8Array.from([1, 0, 2, 0, 3, 0, 4, 0])).green.data)).toEqual([1, 2, 3, 4]);
  });
});

describe('expandSegmentedLut (PS3.3 C.7.9.2)', () => {
  it('expands discrete, linear and indirect segments', () => {
    // discrete [0, 100]; linear 4 entries up to 500; indirect: copy the first segment again
    const words = Uint16Array.from([0, 2, 0, 100, 1, 4, 500, 2, 1, 0, 0]);
    expect(Array.from(expandSegmentedLut(words, 8))).toEqual([0, 100, 200, 300, 400, 500, 0, 100]);
  });

  it('refuses a linear first segment and unknown opcodes', () => {
    expect(() => expandSegmentedLut(Uint16Array.from([1, 4, 500]), 4)).toThrow(/linear/);
    expect(() => expandSegmentedLut(Uint16Array.from([0, 1, 5, 9, 1, 0]), 4)).toThrow(/opcode 9/);
  });
});
