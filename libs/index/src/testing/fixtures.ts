// Instances for the index's tests: a CT-like data set with the attributes the index reads, each one
// overridable, and unique UIDs unless given.
import { Tag } from '@pacs/dicom';
import type { DicomJsonDataset } from '../dataset-values';
import type { InstanceRecord } from '../index-writer';

let counter = 0;

export interface FixtureOptions {
  partitionId?: number;
  study?: string;
  series?: string;
  sop?: string;
  patientId?: string;
  issuer?: string;
  patientName?: string;
  birthDate?: string;
  studyDate?: string;
  studyTime?: string;
  timezone?: string;
  accession?: string;
  modality?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  sopClass?: string;
  sha256?: string;
  scheduledStepId?: string;
  /** Extra or replaced attributes. */
  attributes?: DicomJsonDataset;
}

/** A UID root of our own for test data (2.25: UUID-derived, PS3.5 §B.2). */
export const uid = (...parts: (string | number)[]): string =>
  `2.25.${[1000 + (process.pid % 1000), ...parts].join('.')}`;

export function instanceFixture(o: FixtureOptions = {}): InstanceRecord {
  counter++;
  const study = o.study ?? uid(Date.now() % 1e9, counter);
  const series = o.series ?? `${study}.1`;
  const sop = o.sop ?? `${series}.${counter}`;
  const sopClass = o.sopClass ?? '1.2.840.10008.5.1.4.1.1.2';
  const ds: DicomJsonDataset = {
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
    [Tag.SOPClassUID]: { vr: 'UI', Value: [sopClass] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [sop] },
    [Tag.StudyDate]: { vr: 'DA', Value: [o.studyDate ?? '20240115'] },
    [Tag.StudyTime]: { vr: 'TM', Value: [o.studyTime ?? '101500'] },
    [Tag.AccessionNumber]: { vr: 'SH', Value: [o.accession ?? `ACC${counter}`] },
    [Tag.Modality]: { vr: 'CS', Value: [o.modality ?? 'CT'] },
    [Tag.ReferringPhysicianName]: { vr: 'PN', Value: [{ Alphabetic: 'Smith^Anna' }] },
    [Tag.StudyDescription]: { vr: 'LO', Value: ['CT Chest'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: o.patientName ?? 'Doe^John' }] },
    [Tag.PatientID]: { vr: 'LO', Value: [o.patientId ?? 'PID-1'] },
    [Tag.PatientBirthDate]: { vr: 'DA', Value: [o.birthDate ?? '19700101'] },
    [Tag.PatientSex]: { vr: 'CS', Value: ['M'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [study] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [series] },
    [Tag.StudyID]: { vr: 'SH', Value: ['S1'] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [o.seriesNumber ?? 1] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [o.instanceNumber ?? counter] },
    [Tag.Rows]: { vr: 'US', Value: [512] },
    [Tag.Columns]: { vr: 'US', Value: [512] },
    [Tag.BitsAllocated]: { vr: 'US', Value: [16] },
  };
  if (o.issuer !== undefined) ds[Tag.IssuerOfPatientID] = { vr: 'LO', Value: [o.issuer] };
  if (o.timezone !== undefined) ds[Tag.TimezoneOffsetFromUTC] = { vr: 'SH', Value: [o.timezone] };
  if (o.scheduledStepId) {
    ds[Tag.RequestAttributesSequence] = {
      vr: 'SQ',
      Value: [{ [Tag.ScheduledProcedureStepID]: { vr: 'SH', Value: [o.scheduledStepId] } }],
    };
  }
  Object.assign(ds, o.attributes ?? {});
  return {
    partitionId: o.partitionId ?? 1,
    ingestId: `ingest-${counter}`,
    studyUid: study,
    seriesUid: series,
    sopUid: sop,
    sopClassUid: sopClass,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey: `blobs/${sop}`,
    size: 1000 + counter,
    sha256: o.sha256 ?? `sha-${sop}`,
    dataset: ds,
  };
}
