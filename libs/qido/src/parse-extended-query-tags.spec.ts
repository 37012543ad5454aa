import { Tag } from '@pacs/dicom';
import { type DicomwebError } from '@pacs/dicomweb';
import { defaultLevelOf, parseExtendedQueryTags } from './parse-extended-query-tags';

const refused = (body: unknown): DicomwebError => {
  try {
    parseExtendedQueryTags(body);
  } catch (error) {
    return error as DicomwebError;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
};

describe('parseExtendedQueryTags', () => {
  it('reads keywords and tags, takes the VR from the dictionary and the level from the module', () => {
    expect(
      parseExtendedQueryTags([
        { path: 'PatientAge' },
        { path: '00180050', level: 'Series' },
        { path: '00091010', vr: 'LO' },
        { path: 'ProtocolName' },
      ]),
    ).toEqual([
      { tag: Tag.PatientAge, keyword: 'PatientAge', vr: 'AS', level: 'study' },
      { tag: Tag.SliceThickness, keyword: 'SliceThickness', vr: 'DS', level: 'series' },
      { tag: '00091010', keyword: '', vr: 'LO', level: 'instance' },
      { tag: Tag.ProtocolName, keyword: 'ProtocolName', vr: 'LO', level: 'series' },
    ]);
  });

  it('places an attribute by the Information Entity of its module', () => {
    expect(defaultLevelOf(Tag.PatientBirthName)).toBe('study');
    expect(defaultLevelOf(Tag.Manufacturer)).toBe('series');
    expect(defaultLevelOf(Tag.SliceThickness)).toBe('instance');
  });

  it.each([
    ['not an array', { path: 'PatientAge' }],
    ['an empty array', []],
    ['an item without a path', [{ level: 'study' }]],
    ['an unknown keyword', [{ path: 'NotAKeyword' }]],
    ['a sequence path', [{ path: 'RequestAttributesSequence.ScheduledProcedureStepID' }]],
    ['a private attribute without its VR', [{ path: '00091010' }]],
    ['a Private Creator', [{ path: '00090010', vr: 'LO' }]],
    ['a VR that contradicts the dictionary', [{ path: 'PatientAge', vr: 'LO' }]],
    ['a long text', [{ path: 'ImageComments' }]],
    ['a sequence', [{ path: 'ReferencedImageSequence' }]],
    ['an unknown level', [{ path: 'PatientAge', level: 'patient' }]],
    ['unknown members', [{ path: 'PatientAge', index: true }]],
    ['too many tags', Array.from({ length: 129 }, () => ({ path: 'PatientAge' }))],
  ])('answers 400 for %s', (_label, body) => {
    expect(refused(body)).toMatchObject({ code: 'BadRequest' });
  });

  it('answers 409 for a built-in matching key', () => {
    expect(refused([{ path: 'PatientName' }])).toMatchObject({ code: 'Conflict' });
  });
});
