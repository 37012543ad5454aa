import { Tag } from '@pacs/dicom';
import { requiredReturnAttributes } from './required-return-attributes';

describe('requiredReturnAttributes', () => {
  it('gives the unique key and the Type R attributes of each level (PS3.18 Tables 10.6.3-3/-4/-5)', () => {
    expect(requiredReturnAttributes('study')).toEqual(
      expect.arrayContaining([
        Tag.StudyInstanceUID,
        Tag.StudyDate,
        Tag.StudyTime,
        Tag.AccessionNumber,
        Tag.ModalitiesInStudy,
        Tag.ReferringPhysicianName,
        Tag.PatientName,
        Tag.PatientID,
        Tag.PatientBirthDate,
        Tag.PatientSex,
        Tag.StudyID,
        Tag.NumberOfStudyRelatedSeries,
        Tag.NumberOfStudyRelatedInstances,
        Tag.RetrieveURL,
      ]),
    );
    expect(requiredReturnAttributes('series')).toEqual(
      expect.arrayContaining([
        Tag.SeriesInstanceUID,
        Tag.Modality,
        Tag.SeriesNumber,
        Tag.NumberOfSeriesRelatedInstances,
      ]),
    );
    expect(requiredReturnAttributes('instance')).toEqual(
      expect.arrayContaining([Tag.SOPInstanceUID, Tag.SOPClassUID, Tag.InstanceNumber]),
    );
  });

  it('keeps the levels apart', () => {
    expect(requiredReturnAttributes('series')).not.toContain(Tag.StudyInstanceUID);
    expect(requiredReturnAttributes('instance')).not.toContain(Tag.SeriesInstanceUID);
    for (const level of ['study', 'series', 'instance'] as const) {
      const tags = requiredReturnAttributes(level);
      expect(new Set(tags).size).toBe(tags.length);
      for (const tag of tags) expect(tag).toMatch(/^[0-9A-F]{8}$/);
    }
  });
});
