// One encode/decode pair per event of proto/pacs/events/v1, so producers and consumers name the event they mean.
import { type MessageInitShape } from '@bufbuild/protobuf';
import { decodeEvent, encodeEvent } from './event-codec';
import { type InstanceDeleted, InstanceDeletedSchema } from './generated/pacs/events/v1/instance_deleted_pb';
import { type InstanceIndexed, InstanceIndexedSchema } from './generated/pacs/events/v1/instance_indexed_pb';
import { type InstanceStored, InstanceStoredSchema } from './generated/pacs/events/v1/instance_stored_pb';
import { type PatientUpdated, PatientUpdatedSchema } from './generated/pacs/events/v1/patient_updated_pb';
import { type PatientsMerged, PatientsMergedSchema } from './generated/pacs/events/v1/patients_merged_pb';

type Headers = Readonly<Record<string, string>>;

/** The fields of an event as a plain object (every field optional; int64 fields are bigint). */
export type InstanceStoredInit = MessageInitShape<typeof InstanceStoredSchema>;
export type InstanceIndexedInit = MessageInitShape<typeof InstanceIndexedSchema>;
export type InstanceDeletedInit = MessageInitShape<typeof InstanceDeletedSchema>;
export type PatientUpdatedInit = MessageInitShape<typeof PatientUpdatedSchema>;
export type PatientsMergedInit = MessageInitShape<typeof PatientsMergedSchema>;

export const encodeInstanceStored = (event: InstanceStoredInit): Uint8Array => encodeEvent(InstanceStoredSchema, event);
export const decodeInstanceStored = (bytes: Uint8Array, headers?: Headers): InstanceStored =>
  decodeEvent(InstanceStoredSchema, bytes, headers);

export const encodeInstanceIndexed = (event: InstanceIndexedInit): Uint8Array =>
  encodeEvent(InstanceIndexedSchema, event);
export const decodeInstanceIndexed = (bytes: Uint8Array, headers?: Headers): InstanceIndexed =>
  decodeEvent(InstanceIndexedSchema, bytes, headers);

export const encodeInstanceDeleted = (event: InstanceDeletedInit): Uint8Array =>
  encodeEvent(InstanceDeletedSchema, event);
export const decodeInstanceDeleted = (bytes: Uint8Array, headers?: Headers): InstanceDeleted =>
  decodeEvent(InstanceDeletedSchema, bytes, headers);

export const encodePatientUpdated = (event: PatientUpdatedInit): Uint8Array => encodeEvent(PatientUpdatedSchema, event);
export const decodePatientUpdated = (bytes: Uint8Array, headers?: Headers): PatientUpdated =>
  decodeEvent(PatientUpdatedSchema, bytes, headers);

export const encodePatientsMerged = (event: PatientsMergedInit): Uint8Array => encodeEvent(PatientsMergedSchema, event);
export const decodePatientsMerged = (bytes: Uint8Array, headers?: Headers): PatientsMerged =>
  decodeEvent(PatientsMergedSchema, bytes, headers);
