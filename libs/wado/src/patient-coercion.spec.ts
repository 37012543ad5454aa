import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { coercePatientModule, patientCoercionOf, patientVersionOf, type AppliedRecord } from './patient-coercion';

const pn = (alphabetic: string, ideographic?: string) => ({
  vr: 'PN',
  Value: [{ Alphabetic: alphabetic, ...(ideographic ? { Ideographic: ideographic } : {}) }],
});
const lo = (value: string) => ({ vr: 'LO', Value: [value] });

const stored = (extra: DicomJsonDataset = {}): DicomJsonDataset => ({
  [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 100'] },
  [Tag.StudyDescription]: lo('Chest'),
  [Tag.PatientName]: pn('Old^Name'),
  [Tag.PatientID]: lo('P-1'),
  [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700101'] },
  [Tag.PatientSex]: { vr: 'CS', Value: ['M'] },
  [Tag.PatientComments]: { vr: 'LT', Value: ['kept'] },
  ...extra,
});

/** A record the source of truth (HL7 ADT) has set, unless `updatedBySource` is false. */
const record = (extra: DicomJsonDataset = {}, updatedBySource = true): AppliedRecord => {
  const module: DicomJsonDataset = {
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
    [Tag.PatientName]: pn('Old^Name'),
    [Tag.PatientID]: lo('P-1'),
    [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700101'] },
    [Tag.PatientSex]: { vr: 'CS', Value: ['M'] },
    ...extra,
  };
  const text = (tag: string) => String(module[tag]?.Value?.[0] ?? '');
  return { module, patientId: text(Tag.PatientID), issuer: text(Tag.IssuerOfPatientID), updatedBySource };
};

describe('patientCoercionOf', () => {
  it('changes nothing when the stored values are the record’s (character sets and VRs aside)', () => {
    expect(patientCoercionOf(stored(), record())).toBeUndefined();
    // Trailing component delimiters of a name do not make it another name (PS3.5 §6.2.1).
    expect(patientCoercionOf(stored({ [Tag.PatientName]: pn('Old^Name^^') }), record())).toBeUndefined();
    // An attribute the instance lacks and the record has empty is the same.
    expect(patientCoercionOf(stored(), record({ [Tag.EthnicGroup]: { vr: 'SH' } }))).toBeUndefined();
  });

  it('leaves an instance as stored until the source of truth has set the record, unless a merge re-homed it', () => {
    // The record is the first instance's Patient module: another spelling in a later instance is kept.
    const firstInstances = record({ [Tag.PatientName]: pn('OLD^NAME') }, false);
    expect(patientCoercionOf(stored(), firstInstances)).toBeUndefined();
    // Filed under another patient (a merge): the record's identifiers and demographics.
    const survivor = record({ [Tag.PatientID]: lo('SURV-1'), [Tag.PatientName]: pn('Survivor^Sam') }, false);
    expect(patientCoercionOf(stored(), survivor)!.tags).toEqual([Tag.PatientName, Tag.PatientID]);
    const otherIssuer = record({ [Tag.IssuerOfPatientID]: lo('HOSP') }, false);
    expect(patientCoercionOf(stored(), otherIssuer)!.tags).toEqual([Tag.IssuerOfPatientID]);
  });

  it('names the attributes whose values differ and gives the record’s elements for them', () => {
    const coercion = patientCoercionOf(
      stored(),
      record({ [Tag.PatientName]: pn('New^Name'), [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700102'] } }),
    );
    expect(coercion).toEqual({
      tags: [Tag.PatientName, Tag.PatientBirthDate],
      elements: { [Tag.PatientName]: pn('New^Name'), [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700102'] } },
      recode: false,
    });
  });

  it('empties what the record cleared and leaves what the record does not have', () => {
    const coercion = patientCoercionOf(stored(), record({ [Tag.PatientSex]: { vr: 'CS' } }))!;
    expect(coercion.tags).toEqual([Tag.PatientSex]);
    expect(coercion.elements[Tag.PatientSex]).toEqual({ vr: 'CS' });
    expect(coercion.elements[Tag.PatientComments]).toBeUndefined();
  });

  it('gives a merged instance the surviving identity and drops an issuer the survivor does not have', () => {
    const merged = stored({
      [Tag.PatientID]: lo('MERGED-9'),
      [Tag.IssuerOfPatientID]: lo('OLDHOSP'),
      [Tag.TypeOfPatientID]: { vr: 'CS', Value: ['TEXT'] },
    });
    const coercion = patientCoercionOf(merged, record({ [Tag.PatientID]: lo('SURV-1') }))!;
    expect(coercion.tags).toEqual([Tag.PatientID, Tag.IssuerOfPatientID, Tag.TypeOfPatientID]);
    expect(coercion.elements).toEqual({
      [Tag.PatientID]: lo('SURV-1'),
      [Tag.IssuerOfPatientID]: null,
      [Tag.TypeOfPatientID]: null,
    });
    const withIssuer = patientCoercionOf(
      merged,
      record({ [Tag.PatientID]: lo('SURV-1'), [Tag.IssuerOfPatientID]: lo('HOSP') }),
    )!;
    expect(withIssuer.elements[Tag.IssuerOfPatientID]).toEqual(lo('HOSP'));
  });

  it('compares sequences item by item, by value', () => {
    const ids = (id: string) => ({
      vr: 'SQ',
      Value: [{ [Tag.PatientID]: lo(id), [Tag.TypeOfPatientID]: { vr: 'CS', Value: ['TEXT'] } }],
    });
    const same = {
      vr: 'SQ',
      Value: [{ [Tag.TypeOfPatientID]: { vr: 'CS', Value: ['TEXT'] }, [Tag.PatientID]: { vr: 'LO', Value: ['A'] } }],
    };
    expect(
      patientCoercionOf(
        stored({ [Tag.OtherPatientIDsSequence]: same }),
        record({ [Tag.OtherPatientIDsSequence]: ids('A') }),
      ),
    ).toBeUndefined();
    expect(
      patientCoercionOf(
        stored({ [Tag.OtherPatientIDsSequence]: same }),
        record({ [Tag.OtherPatientIDsSequence]: ids('B') }),
      )!.tags,
    ).toEqual([Tag.OtherPatientIDsSequence]);
  });

  it('switches a default-repertoire instance to UTF-8 for a name outside ASCII, by one more element', () => {
    const ascii = stored({ [Tag.SpecificCharacterSet]: { vr: 'CS' } });
    const coercion = patientCoercionOf(ascii, record({ [Tag.PatientName]: pn('Yamada^Taro', '山田^太郎') }))!;
    expect(coercion.recode).toBe(false);
    expect(coercion.tags).toEqual([Tag.SpecificCharacterSet, Tag.PatientName]);
    expect(coercion.elements[Tag.SpecificCharacterSet]).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
  });

  it('keeps the stored character set when it holds the new values, and recodes the instance when it does not', () => {
    expect(patientCoercionOf(stored(), record({ [Tag.PatientName]: pn('Müller^Hans') }))!.recode).toBe(false);
    const polish = patientCoercionOf(stored(), record({ [Tag.PatientName]: pn('Łukasz^Anna') }))!;
    expect(polish.recode).toBe(true);
    expect(polish.elements[Tag.SpecificCharacterSet]).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
    const iso2022 = stored({ [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['', 'ISO 2022 IR 87'] } });
    expect(patientCoercionOf(iso2022, record({ [Tag.PatientName]: pn('New^Name') }))!.recode).toBe(true);
  });

  it('does not copy bulk data references of another instance', () => {
    const photo = {
      vr: 'SQ',
      Value: [
        {
          [Tag.IconImageSequence]: { vr: 'SQ', Value: [{ [Tag.PixelData]: { vr: 'OB', BulkDataURI: 'bulkdata/x' } }] },
        },
      ],
    };
    expect(patientCoercionOf(stored(), record({ [Tag.ReferencedPatientPhotoSequence]: photo }))).toBeUndefined();
  });
});

describe('coercePatientModule', () => {
  it('applies the coercion to a copy, in tag order', () => {
    const original = stored({ [Tag.IssuerOfPatientID]: lo('OLD') });
    const coercion = patientCoercionOf(
      original,
      record({ [Tag.PatientName]: pn('New^Name'), [Tag.OtherPatientIDsSequence]: { vr: 'SQ', Value: [{}] } }),
    )!;
    const coerced = coercePatientModule(original, coercion);
    expect(coerced[Tag.PatientName]).toEqual(pn('New^Name'));
    expect(coerced[Tag.IssuerOfPatientID]).toBeUndefined();
    expect(coerced[Tag.StudyDescription]).toEqual(lo('Chest'));
    expect(Object.keys(coerced)).toEqual([...Object.keys(coerced)].sort());
    expect(original[Tag.PatientName]).toEqual(pn('Old^Name'));
    expect(original[Tag.IssuerOfPatientID]).toEqual(lo('OLD'));
  });
});

describe('patientVersionOf', () => {
  it('changes with the row and with its version', () => {
    const r = { pk: '7', version: 2, patientId: 'P', issuer: '', updatedBySource: true, module: {} };
    expect(patientVersionOf(r)).toBe('7.2');
    expect(patientVersionOf({ ...r, version: 3 })).not.toBe(patientVersionOf(r));
    expect(patientVersionOf({ ...r, pk: '8' })).not.toBe(patientVersionOf(r));
    expect(patientVersionOf(undefined)).toBe('');
  });
});
