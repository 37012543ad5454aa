import { buffer } from 'node:stream/consumers';
import { CharsetError } from './charset';
import { Tag } from './dictionary';
import { type DicomJsonDataset } from './dicom-json';
import { Part10Error } from './part10-error';
import { replaceTopLevelElements, type TopLevelReplacements } from './replace-top-level-elements';
import { TransferSyntaxUid } from './transfer-syntax';
import {
  element,
  handBuilt,
  identity,
  imagePixel,
  itemTag,
  part10,
  pattern,
  richDataset,
} from '../test/part10-fixtures';
import { chunked, scanBuffer } from '../test/part10-test-io';

/** `replaceTopLevelElements` over chunks of `size` bytes (an async iterable of them). */
async function spliced(file: Buffer, replacements: TopLevelReplacements, size = 65536): Promise<Buffer> {
  async function* chunks() {
    yield* chunked(file, size);
  }
  return buffer(replaceTopLevelElements(chunks(), replacements));
}

const patient = (extra: DicomJsonDataset = {}): DicomJsonDataset =>
  identity({
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
    [Tag.StudyDescription]: { vr: 'LO', Value: ['Chest'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Old^Name' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['P-1'] },
    [Tag.IssuerOfPatientID]: { vr: 'LO', Value: ['OLDHOSP'] },
    [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700101'] },
    [Tag.PatientSex]: { vr: 'CS', Value: ['M'] },
    [Tag.ReferencedImageSequence]: richDataset()[Tag.ReferencedImageSequence]!,
    // A private binary value before the patient group, long enough to be bulk data when scanned.
    '00091010': { vr: 'OB', InlineBinary: pattern(4000, 9).toString('base64') },
    [Tag.BodyPartExamined]: { vr: 'CS', Value: ['CHEST'] },
    ...imagePixel(4, 4, 16, 2),
    ...extra,
  });

const pixels = pattern(4 * 4 * 2 * 2, 5);
/** The SOP Class and Instance UIDs, hand-built: the first elements of a hand-built data set. */
const sopElements = (): Buffer =>
  Buffer.concat([element('00080016', 'UI', '1.2.840.10008.5.1.4.1.1.7\0'), element('00080018', 'UI', '2.25.111')]);
const seriesElements = (): Buffer =>
  Buffer.concat([element('0020000D', 'UI', '2.25.222'), element('0020000E', 'UI', '2.25.333')]);
const file = (transferSyntaxUid: string, dataset = patient()) =>
  part10({ dataset, transferSyntaxUid, pixelData: { value: pixels } });

const newName = { vr: 'PN', Value: [{ Alphabetic: 'New^Name' }] };
const otherIds = {
  vr: 'SQ',
  Value: [{ [Tag.PatientID]: { vr: 'LO', Value: ['OLD-7'] }, [Tag.IssuerOfPatientID]: { vr: 'LO', Value: ['A'] } }],
};

describe('replaceTopLevelElements', () => {
  it.each([
    TransferSyntaxUid.ExplicitVRLittleEndian,
    TransferSyntaxUid.ImplicitVRLittleEndian,
    TransferSyntaxUid.ExplicitVRBigEndian,
  ])('replaces, adds and removes top-level elements of %s and copies everything else', async (ts) => {
    const original = await file(ts);
    const out = await spliced(original, {
      [Tag.PatientName]: newName,
      [Tag.IssuerOfPatientID]: null,
      [Tag.OtherPatientIDsSequence]: otherIds,
      [Tag.PatientBirthDate]: { vr: 'DA' },
    });
    const [before, after] = [await scanBuffer(original), await scanBuffer(out)];
    const expected: DicomJsonDataset = {
      ...before.dataset,
      [Tag.PatientName]: newName,
      [Tag.OtherPatientIDsSequence]: otherIds,
      [Tag.PatientBirthDate]: { vr: 'DA' },
    };
    delete expected[Tag.IssuerOfPatientID];
    expect(after.dataset).toEqual(expected);
    expect(after.transferSyntaxUid).toBe(ts);
    // The File Meta Information, and everything from the first element after the patient group on, are the
    // original's bytes; the pixel data is where the new offsets say, unchanged.
    const metaEnd = 144 + original.readUInt32LE(140);
    expect(out.subarray(0, metaEnd)).toEqual(original.subarray(0, metaEnd));
    const bodyPart = Buffer.alloc(4);
    if (ts === TransferSyntaxUid.ExplicitVRBigEndian) bodyPart.writeUInt32BE(0x00180015);
    else bodyPart.writeUInt32LE(0x00150018);
    const tail = original.length - original.indexOf(bodyPart);
    expect(tail).toBeLessThan(400);
    expect(out.subarray(out.length - tail)).toEqual(original.subarray(original.length - tail));
    const p = after.pixelData!;
    expect(out.subarray(p.offset, p.offset + p.length!)).toEqual(pixels);
  });

  it('gives the same bytes whatever the chunks the file arrives in', async () => {
    const original = await file(TransferSyntaxUid.ExplicitVRLittleEndian);
    const replacements = { [Tag.PatientName]: newName, [Tag.OtherPatientIDsSequence]: otherIds };
    const whole = await spliced(original, replacements);
    for (const size of [1, 7, 13, 1000]) expect(await spliced(original, replacements, size)).toEqual(whole);
    // A synchronous iterable of chunks does as well.
    expect(await buffer(replaceTopLevelElements(chunked(original, 3), replacements))).toEqual(whole);
  });

  it('copies the file bit for bit when nothing is to be replaced', async () => {
    const original = await file(TransferSyntaxUid.ExplicitVRLittleEndian);
    expect(await spliced(original, {}, 100)).toEqual(original);
  });

  it('keeps values whose bytes differ from the JSON round trip (padding, private tags) as they were', async () => {
    const odd = Buffer.concat([
      handBuilt(
        Buffer.concat([
          element('00080005', 'CS', 'ISO_IR 100'),
          sopElements(),
          element('00081030', 'LO', '  Padded  '),
          element('00091001', 'LO', 'PRIVATE '),
          element('00100010', 'PN', 'Old^Name'),
          element('00100020', 'LO', 'P-1 '),
          seriesElements(),
        ]),
      ),
    ]);
    const out = await spliced(odd, { [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller^Hans' }] } });
    expect(out.includes(Buffer.from('  Padded  '))).toBe(true);
    expect(out.includes(Buffer.from('PRIVATE '))).toBe(true);
    // ISO_IR 100: one byte for ü, padded to even length with a space.
    expect(out.includes(element('00100010', 'PN', Buffer.from('M\xfcller^Hans ', 'latin1')))).toBe(true);
    const scan = await scanBuffer(out);
    expect(scan.dataset[Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Müller^Hans' }]);
    expect(scan.dataset[Tag.PatientID]!.Value).toEqual(['P-1']);
  });

  it('encodes in the Specific Character Set the replacements set', async () => {
    const original = await file(
      TransferSyntaxUid.ExplicitVRLittleEndian,
      patient({ [Tag.SpecificCharacterSet]: { vr: 'CS' } }),
    );
    const out = await spliced(original, {
      [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
      [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Taro', Ideographic: '山田^太郎' }] },
    });
    const scan = await scanBuffer(out);
    expect(scan.dataset[Tag.SpecificCharacterSet]!.Value).toEqual(['ISO_IR 192']);
    expect(scan.dataset[Tag.PatientName]!.Value).toEqual([{ Alphabetic: 'Yamada^Taro', Ideographic: '山田^太郎' }]);
  });

  it('fails the stream with CharsetError when a value does not fit the stored character set', async () => {
    const original = await file(
      TransferSyntaxUid.ExplicitVRLittleEndian,
      patient({ [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 100'] } }),
    );
    await expect(
      spliced(original, { [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Łukasz' }] } }),
    ).rejects.toThrow(CharsetError);
  });

  it('leaves out the Group Length of a group that changes, and Length to End', async () => {
    const withLengths = handBuilt(
      Buffer.concat([
        element('00080000', 'UL', Buffer.of(0, 0, 0, 0)),
        element('00080001', 'UL', Buffer.of(0, 0, 0, 0)),
        sopElements(),
        element('00100000', 'UL', Buffer.of(10, 0, 0, 0)),
        element('00100010', 'PN', 'Old^Name'),
        element('00200000', 'UL', Buffer.of(32, 0, 0, 0)),
        seriesElements(),
      ]),
    );
    const out = await spliced(withLengths, { [Tag.PatientName]: newName });
    const scan = await scanBuffer(out);
    expect(Object.keys(scan.dataset)).toEqual(expect.not.arrayContaining(['00100000', '00080001']));
    // Groups that do not change keep theirs.
    expect(scan.dataset['00080000']).toBeDefined();
    expect(scan.dataset['00200000']).toBeDefined();
    expect(scan.dataset[Tag.PatientName]).toEqual(newName);
  });

  it('walks past undefined-length UN sequences and items ended by their sequence delimiter', async () => {
    // (0009,1010) UN of undefined length: a sequence in Implicit VR Little Endian (PS3.5 §6.2.2), whose item
    // holds an Implicit VR element; then (0009,1020) SQ whose only item ends with the Sequence Delimitation Item.
    const implicitElement = Buffer.concat([Buffer.of(0x09, 0x00, 0x30, 0x10, 4, 0, 0, 0), Buffer.from('ABCD')]);
    const un = Buffer.concat([
      element('00091010', 'UN', Buffer.alloc(0), 0xffffffff),
      itemTag(0xe000, 0xffffffff),
      implicitElement,
      itemTag(0xe00d, 0),
      itemTag(0xe0dd, 0),
    ]);
    const sq = Buffer.concat([
      element('00091020', 'SQ', Buffer.alloc(0), 0xffffffff),
      itemTag(0xe000, 0xffffffff),
      element('00091021', 'LO', 'IN'),
      itemTag(0xe0dd, 0),
    ]);
    const built = handBuilt(
      Buffer.concat([sopElements(), un, sq, element('00100010', 'PN', 'Old^Name'), seriesElements()]),
    );
    const out = await spliced(built, { [Tag.PatientName]: newName }, 5);
    expect(out.includes(Buffer.concat([un, sq]))).toBe(true);
    expect((await scanBuffer(out)).dataset[Tag.PatientName]).toEqual(newName);
  });

  it('adds the elements that sort after every stored one at the end', async () => {
    const small = handBuilt(sopElements());
    const out = await spliced(small, { [Tag.PatientName]: newName });
    expect((await scanBuffer(out)).dataset[Tag.PatientName]).toEqual(newName);
  });

  it('refuses deflated data sets, truncated files and what cannot be replaced', async () => {
    const deflated = await part10({
      dataset: patient(),
      transferSyntaxUid: TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
    });
    await expect(spliced(deflated, { [Tag.PatientName]: newName })).rejects.toMatchObject({
      code: 'UnsupportedTransferSyntax',
    });
    const original = await file(TransferSyntaxUid.ExplicitVRLittleEndian);
    await expect(spliced(original.subarray(0, 400), { [Tag.PatientName]: newName })).rejects.toMatchObject({
      code: 'Truncated',
    });
    await expect(spliced(Buffer.alloc(200), { [Tag.PatientName]: newName })).rejects.toMatchObject({
      code: 'NotDicom',
    });
    expect(() => replaceTopLevelElements([], { [Tag.TransferSyntaxUID]: null })).toThrow(Part10Error);
    expect(() => replaceTopLevelElements([], { [Tag.PixelData]: null })).toThrow(Part10Error);
    expect(() => replaceTopLevelElements([], { [Tag.PatientName]: { vr: 'OB', BulkDataURI: 'x' } })).toThrow(
      Part10Error,
    );
  });
});
