import { Tag } from '@pacs/dicom';
import { fixture } from '../fixtures/fixture';
import { adtMerge } from './adt-merge';
import { adtToPatientUpdate } from './adt-to-patient-update';
import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { parseHl7 } from './parse-hl7';

describe('adtToPatientUpdate', () => {
  it('maps the standard A01 example to DICOM patient attributes', () => {
    const update = adtToPatientUpdate(parseHl7(fixture('adt-a01-v251.hl7')));
    expect(update.event).toBe('A01');
    expect(update.controlId).toBe('MSG00001');
    expect(update.recordedAt).toBe('200708181123');
    expect(update.patientId).toBe('PATID1234');
    expect(update.issuer).toBe('GOOD HEALTH HOSPITAL');
    expect(update.identifier.typeCode).toBe('MR');
    expect(update.otherIds.map((x) => [x.id, x.issuer, x.typeCode])).toEqual([['123456789', 'USSSA', 'SS']]);
    // XPN EVERYMAN^ADAM^A^III: III is the suffix (XPN.4), DICOM puts it fifth.
    expect(update.name).toBe('EVERYMAN^ADAM^A^^III');
    expect(update.birthDate).toBe('19610615');
    expect(update.birthTime).toBeUndefined();
    expect(update.sex).toBe('M');
    expect(update.attributes[Tag.PatientID]).toEqual({ vr: 'LO', Value: ['PATID1234'] });
    expect(update.attributes[Tag.IssuerOfPatientID]).toEqual({ vr: 'LO', Value: ['GOOD HEALTH HOSPITAL'] });
    expect(update.attributes[Tag.PatientName]).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'EVERYMAN^ADAM^A^^III' }] });
    expect(update.attributes[Tag.PatientBirthDate]).toEqual({ vr: 'DA', Value: ['19610615'] });
    expect(update.attributes[Tag.PatientSex]).toEqual({ vr: 'CS', Value: ['M'] });
    const others = update.attributes[Tag.OtherPatientIDsSequence]?.Value as Record<string, unknown>[];
    expect(others).toHaveLength(1);
    expect(others[0]?.[Tag.PatientID]).toEqual({ vr: 'LO', Value: ['123456789'] });
  });

  it('takes the event from EVN-1 for v2.3, tells "not sent" from the HL7 null, and reads PID-2', () => {
    const update = adtToPatientUpdate(parseHl7(fixture('adt-a08-v23.hl7')));
    expect(update.event).toBe('A08');
    expect(update.sex).toBeNull();
    expect(update.attributes[Tag.PatientSex]).toEqual({ vr: 'CS' });
    expect(update.motherBirthName).toBeUndefined();
    expect(Tag.PatientMotherBirthName in update.attributes).toBe(false);
    expect(update.otherIds.map((x) => x.id)).toEqual(['371-66-9256', '253763']);
  });

  it('picks the identifier of the configured issuer as primary', () => {
    const update = adtToPatientUpdate(parseHl7(fixture('adt-a01-v251.hl7')), { issuer: 'USSSA' });
    expect(update.patientId).toBe('123456789');
    expect(update.otherIds.map((x) => x.id)).toEqual(['PATID1234']);
  });

  it('reads ideographic and phonetic names into PN component groups, and the issuer qualifiers', () => {
    const msg = parseHl7(fixture('omi-o23-rad4-v251.hl7').replace('OMI^O23^OMI_O23', 'ADT^A31^ADT_A05'));
    const update = adtToPatientUpdate(msg);
    expect(update.name).toBe('YAMADA^TARO=山田^太郎=やまだ^たろう');
    expect(update.attributes[Tag.PatientName]).toEqual({
      vr: 'PN',
      Value: [{ Alphabetic: 'YAMADA^TARO', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }],
    });
    const qualifiers = update.attributes[Tag.IssuerOfPatientIDQualifiersSequence]?.Value?.[0] as Record<
      string,
      unknown
    >;
    expect(qualifiers[Tag.UniversalEntityID]).toEqual({ vr: 'UT', Value: ['1.2.3.4'] });
    expect(qualifiers[Tag.UniversalEntityIDType]).toEqual({ vr: 'CS', Value: ['ISO'] });
    expect(qualifiers[Tag.IdentifierTypeCode]).toEqual({ vr: 'CS', Value: ['PI'] });
  });

  it('maps sex per table 0001 and partial birth dates to nothing', () => {
    const pid = (sex: string, birth: string): ReturnType<typeof adtToPatientUpdate> =>
      adtToPatientUpdate(parseHl7(`MSH|^~\\&|A|B|C|D|2024||ADT^A08|1|P|2.5\rPID|||X||N||${birth}|${sex}`));
    expect(pid('F', '19700101123000').sex).toBe('F');
    expect(pid('F', '19700101123000').birthTime).toBe('123000');
    expect(pid('U', '1970').sex).toBe('');
    expect(pid('U', '1970').birthDate).toBeUndefined();
    expect(pid('A', '').sex).toBe('O');
  });

  it.each([
    ['a non-ADT message', 'MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5\rPID|||X', Hl7ErrorCode.UnsupportedMessageType],
    ['a merge event', 'MSH|^~\\&|A|B|C|D|2024||ADT^A40|1|P|2.5\rPID|||X', Hl7ErrorCode.UnsupportedEventCode],
    ['no PID', 'MSH|^~\\&|A|B|C|D|2024||ADT^A08|1|P|2.5\rEVN|A08', Hl7ErrorCode.SegmentSequenceError],
    ['an empty PID-3', 'MSH|^~\\&|A|B|C|D|2024||ADT^A08|1|P|2.5\rPID|1||', Hl7ErrorCode.RequiredFieldMissing],
  ])('throws an Hl7Error for %s', (_, text, code) => {
    expect(() => adtToPatientUpdate(parseHl7(text))).toThrow(expect.objectContaining({ code }));
    expect(() => adtToPatientUpdate(parseHl7(text))).toThrow(Hl7Error);
  });
});

describe('adtMerge', () => {
  it('reads the standard A40 example: MR2 merged into MR1', () => {
    const merge = adtMerge(parseHl7(fixture('adt-a40-v25.hl7')));
    expect(merge.event).toBe('A40');
    expect(merge.merges).toHaveLength(1);
    expect(merge.merges[0]?.target.patientId).toBe('MR1');
    expect(merge.merges[0]?.target.name).toBe('MAIDENNAME^EVE');
    expect(merge.merges[0]?.prior).toMatchObject({ id: 'MR2', issuer: 'XYZ' });
  });

  it('reads several PID/MRG pairs', () => {
    const text =
      'MSH|^~\\&|A|B|C|D|2024||ADT^A40^ADT_A39|1|P|2.5\rEVN|A40\rPID|||T1^^^X\rPD1\rMRG|P1^^^X~P1B^^^Y\rPV1\rPID|||T2^^^X\rMRG|P2^^^X';
    const merge = adtMerge(parseHl7(text));
    expect(merge.merges.map((m) => [m.target.patientId, m.prior.id])).toEqual([
      ['T1', 'P1'],
      ['T2', 'P2'],
    ]);
    expect(merge.merges[0]?.priorOtherIds.map((x) => x.id)).toEqual(['P1B']);
  });

  it('rejects a PID without MRG, an MRG without PID, and an empty MRG-1', () => {
    const base = 'MSH|^~\\&|A|B|C|D|2024||ADT^A40|1|P|2.5\rEVN|A40\r';
    expect(() => adtMerge(parseHl7(base + 'PID|||T1'))).toThrow(expect.objectContaining({ code: 100 }));
    expect(() => adtMerge(parseHl7(base + 'MRG|P1'))).toThrow(expect.objectContaining({ code: 100 }));
    expect(() => adtMerge(parseHl7(base + 'PID|||T1\rMRG|'))).toThrow(expect.objectContaining({ code: 101 }));
    expect(() => adtMerge(parseHl7(base.replace('A40', 'A08')))).toThrow(expect.objectContaining({ code: 201 }));
  });
});
