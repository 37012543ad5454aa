// Events as the other services publish them, for the index owner's tests.
import { Topic, type BusMessage } from '@pacs/bus';
import {
  encodeInstanceDeleted,
  encodeInstanceStored,
  encodePatientsMerged,
  encodePatientUpdated,
  eventHeaders,
  InstanceDeletedSchema,
  InstanceStoredSchema,
  PatientsMergedSchema,
  PatientUpdatedSchema,
} from '@pacs/contracts';
import { Tag, type DicomJsonDataset } from '@pacs/dicom';

let counter = 0;

export interface StoredOptions {
  study: string;
  series?: string;
  sop?: string;
  patientId?: string;
  patientName?: string;
  modality?: string;
  studyDate?: string;
  studyTime?: string;
  attributes?: DicomJsonDataset;
  /** Characters of filler in the data set (a realistic header is a few kB of DICOM JSON). */
  padding?: number;
}

export interface StoredInstance {
  study: string;
  series: string;
  sop: string;
  message: BusMessage;
}

const el = (vr: string, value: unknown) => ({ vr, Value: [value] });

/** An instance.stored event with the data set inline (as STOW-RS sends it for a small header). */
export function instanceStored(o: StoredOptions): StoredInstance {
  counter++;
  const series = o.series ?? `${o.study}.1`;
  const sop = o.sop ?? `${series}.${counter}`;
  const dataset: DicomJsonDataset = {
    [Tag.SOPClassUID]: el('UI', '1.2.840.10008.5.1.4.1.1.2'),
    [Tag.SOPInstanceUID]: el('UI', sop),
    [Tag.StudyDate]: el('DA', o.studyDate ?? '20240301'),
    [Tag.StudyTime]: el('TM', o.studyTime ?? '101500'),
    [Tag.AccessionNumber]: el('SH', `A${counter}`),
    [Tag.Modality]: el('CS', o.modality ?? 'CT'),
    [Tag.StudyDescription]: el('LO', 'CT Chest'),
    [Tag.PatientName]: el('PN', { Alphabetic: o.patientName ?? 'Doe^John' }),
    [Tag.PatientID]: el('LO', o.patientId ?? 'PID-1'),
    [Tag.PatientBirthDate]: el('DA', '19700101'),
    [Tag.StudyInstanceUID]: el('UI', o.study),
    [Tag.SeriesInstanceUID]: el('UI', series),
    [Tag.SeriesNumber]: el('IS', 1),
    [Tag.InstanceNumber]: el('IS', counter),
    [Tag.Rows]: el('US', 512),
    [Tag.Columns]: el('US', 512),
    ...(o.padding ? { [Tag.ImageComments]: el('LT', 'x'.repeat(o.padding)) } : {}),
    ...o.attributes,
  };
  const value = encodeInstanceStored({
    partition: '1',
    studyInstanceUid: o.study,
    seriesInstanceUid: series,
    sopInstanceUid: sop,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey: `blobs/${sop}`,
    size: 1000n,
    sha256: `sha-${sop}`,
    ingestId: `ingest-${sop}`,
    requestId: 'test',
    storedAt: BigInt(Date.now()),
    metadata: { case: 'datasetJson', value: Buffer.from(JSON.stringify(dataset)) },
  });
  return {
    study: o.study,
    series,
    sop,
    message: { topic: Topic.InstanceStored, key: o.study, value, headers: eventHeaders(InstanceStoredSchema) },
  };
}

export function instanceDeleted(i: { study: string; series: string; sop: string }): BusMessage {
  return {
    topic: Topic.InstanceDeleted,
    key: i.study,
    value: encodeInstanceDeleted({
      partition: '1',
      studyInstanceUid: i.study,
      seriesInstanceUid: i.series,
      sopInstanceUid: i.sop,
      requestId: 'test',
      reason: 'test',
      deletedAt: BigInt(Date.now()),
    }),
    headers: eventHeaders(InstanceDeletedSchema),
  };
}

export function patientUpdated(patientId: string, module: DicomJsonDataset, occurredAt: number): BusMessage {
  return {
    topic: Topic.PatientUpdated,
    key: `|${patientId}`,
    value: encodePatientUpdated({
      partition: '1',
      patient: { patientId, issuerOfPatientId: '' },
      patientModuleJson: Buffer.from(JSON.stringify(module)),
      source: 'hl7:ADT^A08',
      eventId: `evt-${occurredAt}`,
      occurredAt: BigInt(occurredAt),
    }),
    headers: eventHeaders(PatientUpdatedSchema),
  };
}

export function patientsMerged(surviving: string, merged: string): BusMessage {
  return {
    topic: Topic.PatientsMerged,
    key: `|${surviving}`,
    value: encodePatientsMerged({
      partition: '1',
      surviving: { patientId: surviving, issuerOfPatientId: '' },
      merged: { patientId: merged, issuerOfPatientId: '' },
      source: 'hl7:ADT^A40',
      eventId: `merge-${merged}`,
      occurredAt: BigInt(Date.now()),
    }),
    headers: eventHeaders(PatientsMergedSchema),
  };
}
