import { Tag } from '@pacs/dicom';
import { DicomwebError } from '../errors/dicomweb-error';
import { parseQidoQuery, type QidoQuery, type QidoQueryOptions } from './parse-qido-query';

const options: QidoQueryOptions = { defaultLimit: 100, maxLimit: 1000 };
const parse = (query: Record<string, string | string[]>, level: 'study' | 'series' | 'instance' = 'study'): QidoQuery =>
  parseQidoQuery(level, query, options);

function badRequest(
  query: Record<string, string | string[]>,
  message?: RegExp,
  opts: QidoQueryOptions = options,
): void {
  let thrown: unknown;
  try {
    parseQidoQuery('study', query, opts);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DicomwebError);
  expect((thrown as DicomwebError).code).toBe('BadRequest');
  if (message) expect((thrown as DicomwebError).message).toMatch(message);
}

describe('parseQidoQuery', () => {
  it('gives defaults for an empty query', () => {
    expect(parse({})).toEqual({
      level: 'study',
      matches: [],
      includeFields: [],
      fuzzyMatching: false,
      emptyValueMatching: false,
      limit: 100,
      offset: 0,
      limitClamped: false,
    });
  });

  describe('keys', () => {
    it('accepts keywords and 8-hex tags in any case, and names the attribute both ways', () => {
      const { matches } = parse({ PatientID: '123', '00080050': 'A1', '0008103e': 'CHEST' }, 'series');
      expect(matches).toEqual([
        { kind: 'single', tag: Tag.PatientID, keyword: 'PatientID', vr: 'LO', value: '123', caseInsensitive: false },
        {
          kind: 'single',
          tag: Tag.AccessionNumber,
          keyword: 'AccessionNumber',
          vr: 'SH',
          value: 'A1',
          caseInsensitive: false,
        },
        {
          kind: 'single',
          tag: Tag.SeriesDescription,
          keyword: 'SeriesDescription',
          vr: 'LO',
          value: 'CHEST',
          caseInsensitive: false,
        },
      ]);
    });

    it.each([
      ['an unknown keyword', { PatientNam: 'x' }, /Unknown attribute or query parameter "PatientNam"/],
      ['a keyword in the wrong case', { patientname: 'x' }, /Unknown/],
      ['an unknown tag', { '00091234': 'x' }, /Private attribute/],
      ['an unknown public tag', { '00080002': 'x' }, /Unknown attribute/],
      ['an unknown parameter', { orderby: 'StudyDate' }, /Unknown/],
      ['a malformed path', { 'RequestAttributesSequence..AccessionNumber': 'x' }, /Malformed attribute path/],
      ['a path through a non-sequence', { 'PatientID.AccessionNumber': 'x' }, /is not a sequence/],
      ['an attribute given twice', { PatientID: 'a', '00100020': 'b' }, /more than once/],
      ['a repeated key', { PatientID: ['a', 'b'] }, /more than once/],
    ])('answers 400 for %s', (_, query, message) => {
      badRequest(query, message);
    });

    it('ignores the content negotiation parameters accept and charset (PS3.18 §8.3.3)', () => {
      expect(parse({ accept: 'application/json', charset: 'utf-8' }).matches).toEqual([]);
    });
  });

  describe('matching types (PS3.4 C.2.2.2)', () => {
    it('gives Universal Matching for an empty value and for "*"', () => {
      expect(
        parse({ PatientName: '', StudyDescription: '*', AccessionNumber: '**' }).matches.map((m) => m.kind),
      ).toEqual(['universal', 'universal', 'universal']);
    });

    it('gives Wild Card Matching with a ready LIKE pattern, escaping %, _ and \\ of the value', () => {
      const [match] = parse({ StudyDescription: 'CT_50%*x?' }).matches;
      expect(match).toEqual({
        kind: 'wildcard',
        tag: Tag.StudyDescription,
        keyword: 'StudyDescription',
        vr: 'LO',
        pattern: 'CT_50%*x?',
        like: 'CT\\_50\\%%x_',
        caseInsensitive: false,
      });
    });

    it('matches PN case-insensitively, single value or wild card', () => {
      const matches = parse({ PatientName: 'doe^john', ReferringPhysicianName: 'SMITH*' }).matches;
      expect(matches.map((m) => [m.kind, 'caseInsensitive' in m && m.caseInsensitive])).toEqual([
        ['single', true],
        ['wildcard', true],
      ]);
    });

    it('treats "*" and "?" in a VR without wild cards as part of the value', () => {
      badRequest({ StudyInstanceUID: '1.2.*' }, /not a valid UID/);
    });

    it('gives List of UID Matching for comma- or backslash-separated UIDs, and for a repeated UI key', () => {
      expect(parse({ StudyInstanceUID: '1.2.3,1.2.4\\1.2.5' }).matches[0]).toEqual({
        kind: 'uidList',
        tag: Tag.StudyInstanceUID,
        keyword: 'StudyInstanceUID',
        vr: 'UI',
        values: ['1.2.3', '1.2.4', '1.2.5'],
      });
      expect(parse({ StudyInstanceUID: ['1.2.3', '1.2.4'], '0020000D': '1.2.3' }).matches[0]).toMatchObject({
        kind: 'uidList',
        values: ['1.2.3', '1.2.4'],
      });
      expect(parse({ SOPInstanceUID: '1.2.3' }, 'instance').matches[0]).toMatchObject({
        kind: 'single',
        value: '1.2.3',
      });
    });

    it.each([
      ['a leading zero', '1.02.3'],
      ['an empty component', '1..2'],
      ['letters', '1.2.a'],
      ['65 characters', `1.${'2'.repeat(63)}`],
      ['an empty list item', '1.2.3,,1.2.4'],
    ])('answers 400 for a UID with %s', (_, uid) => {
      badRequest({ StudyInstanceUID: uid }, /not a valid UID/);
    });

    it('gives Sequence Matching for dotted keys, one item for keys of one sequence', () => {
      const { matches } = parse(
        {
          '00400275.00080050': 'A1',
          'RequestAttributesSequence.RequestedProcedureID': 'RP1',
          'ReferencedStudySequence.ReferencedSOPInstanceUID': '1.2.3',
        },
        'series',
      );
      expect(matches).toEqual([
        {
          kind: 'sequence',
          tag: Tag.RequestAttributesSequence,
          keyword: 'RequestAttributesSequence',
          vr: 'SQ',
          items: [
            {
              kind: 'single',
              tag: Tag.AccessionNumber,
              keyword: 'AccessionNumber',
              vr: 'SH',
              value: 'A1',
              caseInsensitive: false,
            },
            {
              kind: 'single',
              tag: Tag.RequestedProcedureID,
              keyword: 'RequestedProcedureID',
              vr: 'SH',
              value: 'RP1',
              caseInsensitive: false,
            },
          ],
        },
        {
          kind: 'sequence',
          tag: Tag.ReferencedStudySequence,
          keyword: 'ReferencedStudySequence',
          vr: 'SQ',
          items: [
            {
              kind: 'single',
              tag: Tag.ReferencedSOPInstanceUID,
              keyword: 'ReferencedSOPInstanceUID',
              vr: 'UI',
              value: '1.2.3',
              caseInsensitive: false,
            },
          ],
        },
      ]);
    });

    it('answers 400 for a value on a sequence itself, and Universal Matching for an empty one', () => {
      badRequest({ RequestAttributesSequence: 'x' }, /is a sequence/);
      expect(parse({ RequestAttributesSequence: '' }).matches[0]).toMatchObject({ kind: 'universal', vr: 'SQ' });
    });

    it('answers 400 for attributes with binary VRs', () => {
      badRequest({ PixelData: 'x' }, /cannot be matched/);
    });

    it('validates numeric VRs', () => {
      expect(parse({ NumberOfStudyRelatedInstances: '12' }).matches[0]).toMatchObject({
        kind: 'single',
        vr: 'IS',
        value: '12',
      });
      expect(parse({ Rows: '512' }, 'instance').matches[0]).toMatchObject({ kind: 'single', vr: 'US', value: '512' });
      badRequest({ NumberOfStudyRelatedInstances: 'twelve' }, /not a valid IS value/);
      badRequest({ Rows: '-1' }, /not a valid US value/);
    });

    it('gives Multiple Value Matching for "\\"-separated values of short strings, each single or wild card', () => {
      expect(parse({ ModalitiesInStudy: 'CT\\MR' }).matches[0]).toMatchObject({
        kind: 'multiple',
        values: [
          { kind: 'single', value: 'CT' },
          { kind: 'single', value: 'MR' },
        ],
      });
      expect(parse({ PatientName: 'doe*\\smith^j' }).matches[0]).toMatchObject({
        kind: 'multiple',
        values: [
          { kind: 'wildcard', pattern: 'doe*', caseInsensitive: true },
          { kind: 'single', value: 'smith^j', caseInsensitive: true },
        ],
      });
      expect(parse({ Modality: 'CT\\' }).matches[0]).toMatchObject({ kind: 'single', value: 'CT' });
      expect(parse({ Modality: 'CT\\*' }).matches[0]).toMatchObject({ kind: 'universal' });
      expect(parse({ StudyComments: 'a\\b' }).matches[0]).toMatchObject({ kind: 'single', value: 'a\\b' });
    });

    it('answers 400 for "\\" when multiplevaluematching=false, and in dates and numbers', () => {
      badRequest({ ModalitiesInStudy: 'CT\\MR', multiplevaluematching: 'false' }, /multiplevaluematching=false/);
      badRequest({ StudyDate: '20240101\\20240102' }, /not a date/);
      badRequest({ NumberOfStudyRelatedInstances: '1\\2' }, /not a valid IS value/);
    });

    it('answers 400 for control characters and values longer than maxValueLength', () => {
      badRequest({ PatientID: 'a\u0000b' }, /control character/);
      badRequest({ PatientID: 'x'.repeat(65) }, /longer than 64/, { ...options, maxValueLength: 64 });
      badRequest({ PatientID: 'x'.repeat(4097) }, /longer than 4096/);
    });
  });

  describe('Range Matching (PS3.4 C.2.2.2.5)', () => {
    it.each([
      ['20240101-20240131', { from: '20240101', to: '20240131' }],
      ['20240101-', { from: '20240101' }],
      ['-20240131', { to: '20240131' }],
      ['20240101 - 20240131', { from: '20240101', to: '20240131' }],
      ['20240229', { from: '20240229', to: '20240229' }],
    ])('reads the date %p', (value, bounds) => {
      expect(parse({ StudyDate: value }).matches[0]).toEqual({
        kind: 'range',
        tag: Tag.StudyDate,
        keyword: 'StudyDate',
        vr: 'DA',
        ...bounds,
      });
    });

    it.each([
      ['10', { from: '100000.000000', to: '105959.999999' }],
      ['1030-1100', { from: '103000.000000', to: '110059.999999' }],
      ['103000.5-', { from: '103000.500000' }],
      ['-235959.999999', { to: '235959.999999' }],
    ])('reads the time %p as the span of its precision', (value, bounds) => {
      expect(parse({ SeriesTime: value }, 'series').matches[0]).toEqual({
        kind: 'range',
        tag: Tag.SeriesTime,
        keyword: 'SeriesTime',
        vr: 'TM',
        ...bounds,
      });
    });

    it.each([
      ['2024', { from: '20240101000000.000000', to: '20241231235959.999999' }],
      ['202402', { from: '20240201000000.000000', to: '20240229235959.999999' }],
      [
        '20240101120000+0100-20240101130000+0100',
        { from: '20240101120000.000000', to: '20240101130000.999999', fromOffsetMinutes: 60, toOffsetMinutes: 60 },
      ],
      [
        '20240101-0500',
        { from: '20240101000000.000000', to: '20240101235959.999999', fromOffsetMinutes: -300, toOffsetMinutes: -300 },
      ],
      [
        '20240101-0500-20240102',
        { from: '20240101000000.000000', to: '20240102235959.999999', fromOffsetMinutes: -300 },
      ],
      ['-20240102+1400', { to: '20240102235959.999999', toOffsetMinutes: 840 }],
    ])('reads the date-time %p, with UTC offsets', (value, bounds) => {
      expect(parse({ FrameReferenceDateTime: value }, 'instance').matches[0]).toEqual({
        kind: 'range',
        tag: Tag.FrameReferenceDateTime,
        keyword: 'FrameReferenceDateTime',
        vr: 'DT',
        ...bounds,
      });
    });

    it('orders date-times with different offsets in UTC', () => {
      // 11:00+0100 is 10:00 UTC, before 10:30+0000: in order although the strings are not.
      expect(
        parse({ FrameReferenceDateTime: '202401011100+0100-202401011030+0000' }, 'instance').matches[0],
      ).toMatchObject({
        kind: 'range',
        fromOffsetMinutes: 60,
        toOffsetMinutes: 0,
      });
      // 10:00+0000 to 10:30+0100 (09:30 UTC) ends before it starts although the strings are in order.
      badRequest({ FrameReferenceDateTime: '202401011000+0000-202401011030+0100' }, /ends before it starts/);
    });

    it.each([
      ['StudyDate', '2024-01-01'],
      ['StudyDate', '20240230'],
      ['StudyDate', '20241301'],
      ['StudyDate', '2024010'],
      ['StudyDate', '-'],
      ['StudyDate', '20240201-20240101'],
      ['StudyDate', '*'],
      ['StudyTime', '2400'],
      ['StudyTime', '1260'],
      ['StudyTime', '10:30'],
      ['StudyTime', '1030.5'],
      ['StudyTime', '2300-0100'],
      ['FrameReferenceDateTime', '20240101+1500'],
      ['FrameReferenceDateTime', '20240101+0160'],
      ['FrameReferenceDateTime', '202401011'],
    ])('answers 400 for %s=%p', (key, value) => {
      badRequest({ [key]: value });
    });

    it('combines a date and its time into one date-time range (PS3.4 C.2.2.2.5.1)', () => {
      expect(parse({ StudyDate: '20240101-20240102', StudyTime: '2200-0200' }).matches).toEqual([
        {
          kind: 'range',
          tag: Tag.StudyDate,
          keyword: 'StudyDate',
          vr: 'DT',
          from: '20240101220000.000000',
          to: '20240102020059.999999',
          time: { tag: Tag.StudyTime, keyword: 'StudyTime' },
        },
      ]);
    });

    it('combines a single date with a time range, and keeps open ends open', () => {
      expect(parse({ StudyDate: '20240101', StudyTime: '08-' }).matches[0]).toMatchObject({
        vr: 'DT',
        from: '20240101080000.000000',
        to: '20240101235959.999999',
      });
      expect(parse({ StudyDate: '-20240101', StudyTime: '0800' }).matches[0]).toEqual({
        kind: 'range',
        tag: Tag.StudyDate,
        keyword: 'StudyDate',
        vr: 'DT',
        to: '20240101080059.999999',
        time: { tag: Tag.StudyTime, keyword: 'StudyTime' },
      });
    });

    it('does not combine when the time is only asked to be returned', () => {
      expect(parse({ StudyDate: '20240101', StudyTime: '' }).matches.map((m) => [m.kind, m.vr])).toEqual([
        ['range', 'DA'],
        ['universal', 'TM'],
      ]);
    });
  });

  describe('TimezoneOffsetFromUTC', () => {
    it('gives the offset of the query instead of a match (PS3.4 §C.2.2.2)', () => {
      const q = parse({ TimezoneOffsetFromUTC: '-0530', StudyDate: '20240101' });
      expect(q.timezoneOffsetMinutes).toBe(-330);
      expect(q.matches.map((m) => m.tag)).toEqual([Tag.StudyDate]);
      // An unencoded "+" arrives as a space.
      expect(parse({ '00080201': ' 0100' }).timezoneOffsetMinutes).toBe(60);
      expect(parse({ TimezoneOffsetFromUTC: '+1400' }).timezoneOffsetMinutes).toBe(840);
    });

    it('asks for the attribute without a value, and answers 400 for anything but an offset', () => {
      const q = parse({ TimezoneOffsetFromUTC: '' });
      expect(q.timezoneOffsetMinutes).toBeUndefined();
      expect(q.matches).toMatchObject([{ kind: 'universal', tag: Tag.TimezoneOffsetFromUTC }]);
      badRequest({ TimezoneOffsetFromUTC: '+1500' }, /not a UTC offset/);
      badRequest({ TimezoneOffsetFromUTC: '0100' }, /not a UTC offset/);
      badRequest({ TimezoneOffsetFromUTC: '+01:00' }, /not a UTC offset/);
    });
  });

  describe('private matching keys', () => {
    it('accepts a declared private attribute with its VR, and refuses others', () => {
      const q = parseQidoQuery(
        'instance',
        { '00091010': 'x*' },
        { ...options, privateKeys: new Map([['00091010', 'LO']]) },
      );
      expect(q.matches[0]).toMatchObject({ kind: 'wildcard', tag: '00091010', vr: 'LO', keyword: '' });
      badRequest({ '00091011': 'x' }, /Private attribute/);
    });
  });

  describe('includefield', () => {
    it('reads comma lists, repeated keys, keywords and tags into tags', () => {
      expect(parse({ includefield: ['00081030,ModalitiesInStudy', 'StudyDescription'] }).includeFields).toEqual([
        Tag.StudyDescription,
        Tag.ModalitiesInStudy,
      ]);
    });

    it('reads "all", whatever else is listed', () => {
      expect(parse({ includefield: ['PatientAge', 'all'] }).includeFields).toBe('all');
    });

    it('includes the whole sequence for a nested attribute, and private tags as asked', () => {
      expect(parse({ includefield: 'RequestAttributesSequence.AccessionNumber,00091001' }).includeFields).toEqual([
        Tag.RequestAttributesSequence,
        '00091001',
      ]);
    });

    it('answers 400 for an unknown attribute', () => {
      badRequest({ includefield: 'StudyDescription,NoSuchKeyword' }, /NoSuchKeyword/);
    });
  });

  describe('paging and flags', () => {
    it('reads limit and offset', () => {
      expect(parse({ limit: '25', offset: '50' })).toMatchObject({ limit: 25, offset: 50, limitClamped: false });
    });

    it('lowers a limit above maxLimit, and says so', () => {
      expect(parse({ limit: '5000' })).toMatchObject({ limit: 1000, limitClamped: true });
    });

    it('lowers a default limit above maxLimit too', () => {
      expect(parseQidoQuery('study', {}, { defaultLimit: 50, maxLimit: 10 })).toMatchObject({
        limit: 10,
        limitClamped: true,
      });
    });

    it.each([
      [{ limit: '0' }, /limit/],
      [{ limit: '-1' }, /limit/],
      [{ limit: '1.5' }, /limit/],
      [{ limit: 'ten' }, /limit/],
      [{ limit: '' }, /limit/],
      [{ limit: ['1', '2'] }, /more than once/],
      [{ offset: '-1' }, /offset/],
      [{ offset: '0x10' }, /offset/],
      [{ fuzzymatching: 'yes' }, /true or false/],
      [{ emptyvaluematching: '1' }, /true or false/],
    ])('answers 400 for %p', (query, message) => {
      badRequest(query, message);
    });

    it('reads fuzzymatching and emptyvaluematching, in any case', () => {
      expect(
        parse({ fuzzymatching: 'TRUE', emptyvaluematching: 'true', multiplevaluematching: 'false' }),
      ).toMatchObject({
        fuzzyMatching: true,
        emptyValueMatching: true,
      });
    });
  });
});
