// The audit record of one DICOMweb access, modelled on the DICOM audit message (PS3.15 A.5.1, the schema IHE
// ATNA uses) with the element names of that schema, so that a record can be turned into an RFC 3881 / DICOM
// audit message for an Audit Record Repository without guessing:
//   EventIdentification: EventID, EventActionCode, EventDateTime, EventOutcomeIndicator, EventTypeCode
//   ActiveParticipant:   the requestor (UserIsRequestor) and this server, with their network access points
//   AuditSourceIdentification: the service that writes the record
//   ParticipantObjectIdentification: the study (its UID; series and instance as details) or the query
// What the schema has no place for (request id, trace id, route, status, partition) is under "pacs".
import { AccessAction, type DicomwebResource } from '../dicomweb-resource';
import type { Principal } from '../principal';
import type { CoercionFacts } from './coercion';

/** A coded value of the audit schema (PS3.15 A.5.1: csd-code, codeSystemName, originalText). */
export interface AuditCode {
  'csd-code': string;
  codeSystemName: string;
  originalText: string;
}
const code = (value: string, system: string, text: string): AuditCode => ({
  'csd-code': value,
  codeSystemName: system,
  originalText: text,
});

/** PS3.16 CID 400 "Audit Event ID". */
const EventId = {
  InstancesAccessed: code('110103', 'DCM', 'DICOM Instances Accessed'),
  InstancesTransferred: code('110104', 'DCM', 'DICOM Instances Transferred'),
  Query: code('110112', 'DCM', 'Query'),
} as const;

/** IHE RAD TF-2 transactions of DICOMweb, the EventTypeCode of their audit messages. */
const Transaction = {
  WadoRs: code('RAD-107', 'IHE Transactions', 'WADO-RS Retrieve'),
  StowRs: code('RAD-108', 'IHE Transactions', 'Store Instances over the Web'),
  QidoRs: code('RAD-129', 'IHE Transactions', 'QIDO-RS Query'),
} as const;

/** PS3.16 CID 402 "Audit Active Participant Role ID". */
const Role = {
  Source: code('110153', 'DCM', 'Source Role ID'),
  Destination: code('110152', 'DCM', 'Destination Role ID'),
} as const;

const StudyInstanceUidType = code('110180', 'DCM', 'Study Instance UID');
/** PS3.15 A.5.3.7 (and the other events naming a patient): the Patient participant's ID type. */
const PatientNumberType = code('2', 'RFC-3881', 'Patient Number');

/** PS3.15 A.5.1 EventActionCode: Create, Read, Update, Delete, Execute. */
type EventActionCode = 'C' | 'R' | 'U' | 'D' | 'E';

/** PS3.15 A.5.1 EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
type EventOutcome = 0 | 4 | 8 | 12;

const events: Record<
  AccessAction,
  { id: AuditCode; action: EventActionCode; type?: AuditCode; requestorIsSource?: boolean }
> = {
  [AccessAction.Search]: { id: EventId.Query, action: 'E', type: Transaction.QidoRs },
  [AccessAction.Retrieve]: {
    id: EventId.InstancesTransferred,
    action: 'R',
    type: Transaction.WadoRs,
    requestorIsSource: false,
  },
  [AccessAction.Store]: {
    id: EventId.InstancesTransferred,
    action: 'C',
    type: Transaction.StowRs,
    requestorIsSource: true,
  },
  [AccessAction.Update]: { id: EventId.InstancesAccessed, action: 'U' },
  [AccessAction.Delete]: { id: EventId.InstancesAccessed, action: 'D' },
  [AccessAction.Other]: { id: EventId.InstancesAccessed, action: 'E' },
};

export interface AuditParticipant {
  UserID: string;
  AlternativeUserID?: string;
  UserIsRequestor: boolean;
  RoleIDCode?: AuditCode[];
  /** PS3.15 A.5.1 NetworkAccessPointTypeCode 2: an IP address. */
  NetworkAccessPointTypeCode?: '2';
  NetworkAccessPointID?: string;
}

export interface AuditParticipantObject {
  /** 1: person (the patient), 2: system object (PS3.15 A.5.1 / RFC 3881 §5.5.1). */
  ParticipantObjectTypeCode: 1 | 2;
  /** 1: patient, 3: report (a study), 24: query. */
  ParticipantObjectTypeCodeRole: 1 | 3 | 24;
  ParticipantObjectIDTypeCode: AuditCode;
  ParticipantObjectID: string;
  /** The query as received, base64 (PS3.15 A.5.3.10). */
  ParticipantObjectQuery?: string;
  ParticipantObjectDetail?: { type: string; value: string }[];
}

export interface AuditRecord {
  EventIdentification: {
    EventID: AuditCode;
    EventActionCode: EventActionCode;
    EventDateTime: string;
    EventOutcomeIndicator: EventOutcome;
    EventOutcomeDescription: string;
    EventTypeCode?: AuditCode[];
  };
  ActiveParticipant: AuditParticipant[];
  AuditSourceIdentification: { AuditSourceID: string; AuditSourceTypeCode: '4' };
  ParticipantObjectIdentification: AuditParticipantObject[];
  pacs: {
    action: AccessAction;
    requestId: string;
    traceId?: string;
    method: string;
    route: string;
    status: number;
    /** The client closed the connection before the response was complete. */
    aborted: boolean;
    partitionId?: number;
    /**
     * Attributes the response sent changed (the current patient record applied on retrieval): the record's
     * version, and the tags replaced with the instances they were replaced in (grouped by the same tags).
     */
    coercion?: {
      patientRecordVersion: number;
      coerced: { tags: string[]; SOPInstanceUIDs: string[] }[];
    };
  };
}

export interface AccessFacts {
  time: Date;
  /** The service that answered (AuditSourceID). */
  service: string;
  requestId: string;
  traceId?: string;
  method: string;
  resource: DicomwebResource;
  /** The raw query string (without '?'); '' when none. */
  query: string;
  status: number;
  aborted: boolean;
  /** Undefined when the request was refused before it was authenticated. */
  principal?: Principal;
  clientAddress: string;
  serverAddress?: string;
  /** What the response changed in what it sent (WADO-RS applying the current patient record). */
  coercion?: CoercionFacts;
}

const outcomeOf = (status: number, aborted: boolean): EventOutcome =>
  status >= 500 ? 8 : status >= 400 || aborted ? 4 : 0;

/** The audit record of one access (pure: the sink writes it). */
export function buildAuditRecord(facts: AccessFacts): AuditRecord {
  const { resource, principal } = facts;
  const event = events[resource.action];
  const roles = (requestor: boolean): AuditCode[] | undefined =>
    event.requestorIsSource === undefined
      ? undefined
      : [event.requestorIsSource === requestor ? Role.Source : Role.Destination];
  const requestor: AuditParticipant = {
    UserID: principal?.subject ?? 'anonymous',
    ...(principal?.clientId ? { AlternativeUserID: principal.clientId } : {}),
    UserIsRequestor: true,
    ...(roles(true) ? { RoleIDCode: roles(true) } : {}),
    NetworkAccessPointTypeCode: '2',
    NetworkAccessPointID: facts.clientAddress,
  };
  const server: AuditParticipant = {
    UserID: facts.service,
    UserIsRequestor: false,
    ...(roles(false) ? { RoleIDCode: roles(false) } : {}),
    ...(facts.serverAddress
      ? { NetworkAccessPointTypeCode: '2' as const, NetworkAccessPointID: facts.serverAddress }
      : {}),
  };
  const objects: AuditParticipantObject[] = [];
  if (resource.study) {
    const detail = [
      ...(resource.series ? [{ type: 'SeriesInstanceUID', value: resource.series }] : []),
      ...(resource.instance ? [{ type: 'SOPInstanceUID', value: resource.instance }] : []),
    ];
    objects.push({
      ParticipantObjectTypeCode: 2,
      ParticipantObjectTypeCodeRole: 3,
      ParticipantObjectIDTypeCode: StudyInstanceUidType,
      ParticipantObjectID: resource.study,
      ...(detail.length > 0 ? { ParticipantObjectDetail: detail } : {}),
    });
  }
  if (facts.coercion) objects.push(patientObject(facts.coercion));
  if (resource.action === AccessAction.Search) {
    objects.push({
      ParticipantObjectTypeCode: 2,
      ParticipantObjectTypeCodeRole: 24,
      ParticipantObjectIDTypeCode: Transaction.QidoRs,
      ParticipantObjectID: resource.route,
      ParticipantObjectQuery: Buffer.from(facts.query, 'utf8').toString('base64'),
    });
  }
  return {
    EventIdentification: {
      EventID: event.id,
      EventActionCode: event.action,
      EventDateTime: facts.time.toISOString(),
      EventOutcomeIndicator: outcomeOf(facts.status, facts.aborted),
      EventOutcomeDescription: facts.aborted ? `HTTP ${facts.status}, response not completed` : `HTTP ${facts.status}`,
      ...(event.type ? { EventTypeCode: [event.type] } : {}),
    },
    ActiveParticipant: [requestor, server],
    AuditSourceIdentification: { AuditSourceID: facts.service, AuditSourceTypeCode: '4' },
    ParticipantObjectIdentification: objects,
    pacs: {
      action: resource.action,
      requestId: facts.requestId,
      ...(facts.traceId ? { traceId: facts.traceId } : {}),
      method: facts.method,
      route: resource.route,
      status: facts.status,
      aborted: facts.aborted,
      ...(principal ? { partitionId: principal.partitionId } : {}),
      ...(facts.coercion ? { coercion: coercionDetail(facts.coercion) } : {}),
    },
  };
}

/**
 * The Patient participant of PS3.15 A.5.3.7 (DICOM Instances Transferred): the patient whose current record the
 * sent instances carry, identified as HL7 CX (ID^^^issuer, as IHE ATNA does), with the version of the record.
 */
function patientObject(coercion: CoercionFacts): AuditParticipantObject {
  const { patientId, issuer, version } = coercion.patient;
  return {
    ParticipantObjectTypeCode: 1,
    ParticipantObjectTypeCodeRole: 1,
    ParticipantObjectIDTypeCode: PatientNumberType,
    ParticipantObjectID: issuer ? `${patientId}^^^${issuer}` : patientId,
    ParticipantObjectDetail: [{ type: 'PatientRecordVersion', value: String(version) }],
  };
}

function coercionDetail(coercion: CoercionFacts): NonNullable<AuditRecord['pacs']['coercion']> {
  const groups = new Map<string, { tags: string[]; SOPInstanceUIDs: string[] }>();
  for (const instance of coercion.instances) {
    const key = instance.tags.join(',');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { tags: [...instance.tags], SOPInstanceUIDs: [] }));
    group.SOPInstanceUIDs.push(instance.sopUid);
  }
  return { patientRecordVersion: coercion.patient.version, coerced: [...groups.values()] };
}
