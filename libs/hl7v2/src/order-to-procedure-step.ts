import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { Hl7Error, Hl7ErrorCode } from './hl7-error';
import { type Hl7Message, type Hl7Segment } from './hl7-message';
import {
  codeItem,
  hl7ToDicomDate,
  hl7ToDicomDateTime,
  hl7ToDicomTime,
  joinPersonName,
  putAttribute,
  putSequence,
  xcnToPersonName,
} from './hl7-to-dicom';
import { readPatient, type PatientDemographics, type ReadPatientOptions } from './read-patient';

/** HL7 table 0119 order control codes we act on, by what they ask of the order filler's worklist. */
export const OrderAction = {
  New: 'new',
  Cancel: 'cancel',
  Discontinue: 'discontinue',
  Change: 'change',
  Status: 'status',
  Other: 'other',
} as const;
export type OrderAction = (typeof OrderAction)[keyof typeof OrderAction];

// Table 0119: NW new order; CA cancel request / OC order canceled; DC discontinue request / OD order
// discontinued; XO change order request / XX order changed; SC status changed (IHE RAD-13 Procedure
// Updated uses CA, DC, XO, SC; RAD-4 Procedure Scheduled uses NW).
const actionOfControl: Readonly<Record<string, OrderAction>> = {
  NW: OrderAction.New,
  CA: OrderAction.Cancel,
  OC: OrderAction.Cancel,
  CR: OrderAction.Cancel,
  DC: OrderAction.Discontinue,
  OD: OrderAction.Discontinue,
  DR: OrderAction.Discontinue,
  XO: OrderAction.Change,
  XX: OrderAction.Change,
  XR: OrderAction.Change,
  SC: OrderAction.Status,
};

/** Modality Worklist Scheduled Procedure Step Status (0040,0020), PS3.3 C.4.10. */
export type SpsStatus =
  | 'SCHEDULED'
  | 'ARRIVED'
  | 'READY'
  | 'STARTED'
  | 'DEPARTED'
  | 'CANCELED'
  | 'DISCONTINUED'
  | 'COMPLETED';
/** UPS Procedure Step State (0074,1000), PS3.4 CC.1.1. */
export type UpsState = 'SCHEDULED' | 'IN PROGRESS' | 'CANCELED' | 'COMPLETED';
/** Requested Procedure Priority (0040,1003), PS3.3 C.4.11. */
export type RequestedPriority = 'STAT' | 'HIGH' | 'ROUTINE' | 'MEDIUM' | 'LOW';

/**
 * HL7 priority (TQ.6 in ORC-7/OBR-27 before v2.5, TQ1-9 from v2.5) to Requested Procedure Priority,
 * as IHE RAD TF-2x Appendix B prescribes: S→STAT, A→HIGH, R→ROUTINE, P→HIGH, C→HIGH, T→MEDIUM.
 */
const priorityOf: Readonly<Record<string, RequestedPriority>> = {
  S: 'STAT',
  A: 'HIGH',
  R: 'ROUTINE',
  P: 'HIGH',
  C: 'HIGH',
  T: 'MEDIUM',
};
// UPS Scheduled Procedure Step Priority (0074,1200) is HIGH, MEDIUM or LOW (PS3.4 CC.2.5.1).
const upsPriorityOf: Readonly<Record<RequestedPriority, 'HIGH' | 'MEDIUM' | 'LOW'>> = {
  STAT: 'HIGH',
  HIGH: 'HIGH',
  ROUTINE: 'MEDIUM',
  MEDIUM: 'MEDIUM',
  LOW: 'LOW',
};

/** One requested procedure / scheduled procedure step an order asks for. */
export interface ProcedureStep {
  /** ORC-1 as sent. */
  readonly orderControl: string;
  readonly action: OrderAction;
  /** ORC-5 (table 0038: SC scheduled, IP in process, CM completed, CA canceled, DC discontinued, HD on hold). */
  readonly orderStatus: string;
  readonly placerOrderNumber: string;
  readonly fillerOrderNumber: string;
  readonly accessionNumber: string;
  readonly requestedProcedureId: string;
  readonly requestedProcedureDescription: string;
  readonly scheduledProcedureStepId: string;
  readonly scheduledProcedureStepDescription: string;
  readonly studyInstanceUid: string;
  readonly modality: string;
  readonly scheduledStationAeTitle: string;
  readonly scheduledStationName: string;
  readonly scheduledProcedureStepLocation: string;
  /** DICOM DT; '' when not sent. */
  readonly scheduledStartDateTime: string;
  readonly priority: RequestedPriority | '';
  readonly spsStatus: SpsStatus;
  readonly upsState: UpsState;
  /** The Modality Worklist item (PS3.4 K.6, PS3.3 C.4.10/C.4.11 + patient): what a C-FIND/MWL returns. */
  readonly worklistItem: DicomJsonDataset;
  /** The same as a UPS workitem (PS3.4 CC.2.5, Table CC.2.5-3): state, priority, start, referenced request. */
  readonly workitem: DicomJsonDataset;
}

export interface ProcedureOrder {
  /** 'ORM^O01' or 'OMI^O23'. */
  readonly messageType: string;
  readonly controlId: string;
  readonly patient: PatientDemographics;
  readonly steps: readonly ProcedureStep[];
}

interface OrderGroup {
  orc: Hl7Segment;
  obr?: Hl7Segment;
  tq1?: Hl7Segment;
  zds?: Hl7Segment;
  ipcs: Hl7Segment[];
}

/**
 * The procedure steps of an imaging order, mapped to DICOM as IHE RAD TF-2 describes for RAD-4 Procedure
 * Scheduled and RAD-13 Procedure Updated (ORM^O01 in v2.3.1, OMI^O23 in v2.5.1) and as RAD TF-2x
 * Appendix B "HL7 Order Mapping to DICOM MWL" tabulates:
 *
 *   DICOM attribute                          ORM^O01 (v2.3.1)         OMI^O23 (v2.5.1)
 *   Accession Number (0008,0050)             OBR-18                   IPC-1.1 (issuer IPC-1.2–4)
 *   Requested Procedure ID (0040,1001)       OBR-19                   IPC-2.1
 *   Study Instance UID (0020,000D)           ZDS-1.1                  IPC-3.1
 *   Scheduled Procedure Step ID (0040,0009)  OBR-20                   IPC-4.1
 *   Modality (0008,0060)                     OBR-24                   IPC-5.1
 *   Scheduled Protocol Code Seq (0040,0008)  OBR-4.4–6               IPC-6
 *   Scheduled Station Name (0040,0010)       —                        IPC-7.1
 *   SPS Location (0040,0011)                 —                        IPC-8.1
 *   Scheduled Station AE Title (0040,0001)   ORC-18.1 ¹               IPC-9
 *   SPS Start Date/Time (0040,0002/0003)     ORC-7.4 / OBR-27.4       TQ1-7.1
 *   Requested Procedure Priority (0040,1003) ORC-7.6 / OBR-27.6       TQ1-9.1
 *   Requested Procedure Description/Code     OBR-44 (else OBR-4)      OBR-44 (else OBR-4)
 *   SPS Description (0040,0007)              OBR-4.5 (else OBR-4.2)   IPC-6.2 (else OBR-4.2)
 *   Placer / Filler Order Number             ORC-2.1 / ORC-3.1 (else OBR-2.1 / OBR-3.1)
 *   Requesting Physician (0032,1032)         OBR-16                   Referring Physician (0008,0090) PV1-8
 *   Reason for the Requested Procedure       OBR-31.2 (else .1)       Patient Transport Arrangements OBR-30
 *   Medical Alerts (0010,2000)               OBR-13                   Patient State (0038,0500) OBR-12
 *   Scheduled Performing Physician (0040,0006) OBR-34.1 (CNN subcomponents)   Admission ID PV1-19.1
 *
 * ¹ IHE leaves the station AE "generated by the DSS"; ORC-18 Entering Device is where RIS products put it.
 * Throws Hl7Error 200 for other message types, 100 when PID or ORC/OBR is missing.
 */
export function orderToProcedureStep(message: Hl7Message, options: ReadPatientOptions = {}): ProcedureOrder {
  const { code, trigger } = message.messageType;
  const type = `${code}^${trigger}`;
  if (type !== 'ORM^O01' && type !== 'OMI^O23') {
    throw new Hl7Error(Hl7ErrorCode.UnsupportedMessageType, `expected ORM^O01 or OMI^O23, got ${type}`, {
      location: 'MSH-9',
    });
  }
  const pid = message.segment('PID');
  if (!pid) throw new Hl7Error(Hl7ErrorCode.SegmentSequenceError, `${type} has no PID segment`, { location: 'PID' });
  const patient = readPatient(pid, options);
  const pv1 = message.segment('PV1');

  const groups: OrderGroup[] = [];
  for (const segment of message.segments()) {
    const current = groups[groups.length - 1];
    if (segment.name === 'ORC') groups.push({ orc: segment, ipcs: [] });
    else if (!current) continue;
    else if (segment.name === 'OBR' && !current.obr) current.obr = segment;
    else if (segment.name === 'TQ1' && !current.tq1) current.tq1 = segment;
    else if (segment.name === 'ZDS' && !current.zds) current.zds = segment;
    else if (segment.name === 'IPC') current.ipcs.push(segment);
  }
  if (groups.length === 0) {
    throw new Hl7Error(Hl7ErrorCode.SegmentSequenceError, `${type} has no ORC segment`, { location: 'ORC' });
  }
  const steps: ProcedureStep[] = [];
  for (const group of groups) {
    if (!group.obr) {
      throw new Hl7Error(Hl7ErrorCode.SegmentSequenceError, 'ORC without an OBR', {
        location: `ORC[${group.orc.index}]`,
      });
    }
    const ipcs: (Hl7Segment | undefined)[] = type === 'OMI^O23' && group.ipcs.length > 0 ? group.ipcs : [undefined];
    for (const ipc of ipcs) steps.push(stepOf(group, group.obr, ipc, pv1, patient));
  }
  return { messageType: type, controlId: message.controlId, patient, steps };
}

function statusOf(action: OrderAction, orderStatus: string): [SpsStatus, UpsState] {
  if (action === OrderAction.Cancel) return ['CANCELED', 'CANCELED'];
  if (action === OrderAction.Discontinue) return ['DISCONTINUED', 'CANCELED'];
  switch (orderStatus) {
    case 'IP':
    case 'A':
      return ['STARTED', 'IN PROGRESS'];
    case 'CM':
      return ['COMPLETED', 'COMPLETED'];
    case 'CA':
      return ['CANCELED', 'CANCELED'];
    case 'DC':
      return ['DISCONTINUED', 'CANCELED'];
    default:
      return ['SCHEDULED', 'SCHEDULED'];
  }
}

function stepOf(
  group: OrderGroup,
  obr: Hl7Segment,
  ipc: Hl7Segment | undefined,
  pv1: Hl7Segment | undefined,
  patient: PatientDemographics,
): ProcedureStep {
  const { orc, tq1, zds } = group;
  const v = (s: Hl7Segment | undefined, f: number, c = 1, sub = 1): string => (s ? s.value(f, 1, c, sub).trim() : '');
  const orderControl = v(orc, 1);
  const action = actionOfControl[orderControl] ?? OrderAction.Other;
  const orderStatus = v(orc, 5);
  const [spsStatus, upsState] = statusOf(action, orderStatus);

  const accessionNumber = ipc ? v(ipc, 1) : v(obr, 18);
  const requestedProcedureId = ipc ? v(ipc, 2) : v(obr, 19);
  const studyInstanceUid = ipc ? v(ipc, 3) : v(zds, 1);
  const scheduledProcedureStepId = ipc ? v(ipc, 4) : v(obr, 20);
  const modality = ipc ? v(ipc, 5) : v(obr, 24);
  const scheduledStationName = ipc ? v(ipc, 7) : '';
  const scheduledProcedureStepLocation = ipc ? v(ipc, 8) : '';
  const scheduledStationAeTitle = ipc ? v(ipc, 9) : v(orc, 18);
  const startRaw = tq1 ? v(tq1, 7) : v(orc, 7, 4) || v(obr, 27, 4) || v(obr, 36);
  const priorityCode = tq1 ? v(tq1, 9) : v(orc, 7, 6) || v(obr, 27, 6) || v(obr, 5);
  const priority = priorityOf[priorityCode.toUpperCase()] ?? '';

  const hasOBR44 = v(obr, 44) !== '' || v(obr, 44, 2) !== '';
  const requested = hasOBR44
    ? { code: v(obr, 44), meaning: v(obr, 44, 2), scheme: v(obr, 44, 3) }
    : { code: v(obr, 4), meaning: v(obr, 4, 2), scheme: v(obr, 4, 3) };
  const protocol = ipc
    ? { code: v(ipc, 6), meaning: v(ipc, 6, 2), scheme: v(ipc, 6, 3) }
    : { code: v(obr, 4, 4), meaning: v(obr, 4, 5), scheme: v(obr, 4, 6) };
  const requestedProcedureDescription = requested.meaning;
  const scheduledProcedureStepDescription = protocol.meaning || v(obr, 4, 2);
  const placerOrderNumber = v(orc, 2) || v(obr, 2);
  const fillerOrderNumber = v(orc, 3) || v(obr, 3);
  const scheduledStartDateTime = hl7ToDicomDateTime(startRaw) ?? '';

  // Requested Procedure, Imaging Service Request and Visit (PS3.3 C.4.10, C.4.11, C.3.1) + patient.
  const item: DicomJsonDataset = { ...patient.attributes };
  putAttribute(item, Tag.AccessionNumber, 'SH', accessionNumber || undefined);
  if (ipc) {
    const issuer: DicomJsonDataset = {};
    putAttribute(issuer, Tag.LocalNamespaceEntityID, 'UT', v(ipc, 1, 2) || undefined);
    putAttribute(issuer, Tag.UniversalEntityID, 'UT', v(ipc, 1, 3) || undefined);
    putAttribute(issuer, Tag.UniversalEntityIDType, 'CS', v(ipc, 1, 4) || undefined);
    putSequence(item, Tag.IssuerOfAccessionNumberSequence, issuer);
  }
  putAttribute(item, Tag.RequestedProcedureID, 'SH', requestedProcedureId || undefined);
  putAttribute(item, Tag.RequestedProcedureDescription, 'LO', requestedProcedureDescription || undefined);
  putSequence(item, Tag.RequestedProcedureCodeSequence, codeItem(requested.code, requested.meaning, requested.scheme));
  putAttribute(item, Tag.StudyInstanceUID, 'UI', studyInstanceUid || undefined);
  putAttribute(item, Tag.RequestedProcedurePriority, 'CS', priority || undefined);
  putAttribute(item, Tag.ReasonForTheRequestedProcedure, 'LO', v(obr, 31, 2) || v(obr, 31) || undefined);
  putAttribute(item, Tag.PatientTransportArrangements, 'LO', v(obr, 30) || undefined);
  putAttribute(item, Tag.RequestingPhysician, 'PN', xcnToPersonName(obr.components(16)) || undefined);
  putAttribute(item, Tag.ReferringPhysicianName, 'PN', (pv1 && xcnToPersonName(pv1.components(8))) || undefined);
  putAttribute(item, Tag.PlacerOrderNumberImagingServiceRequest, 'LO', placerOrderNumber || undefined);
  putAttribute(item, Tag.FillerOrderNumberImagingServiceRequest, 'LO', fillerOrderNumber || undefined);
  putAttribute(item, Tag.AdmissionID, 'LO', v(pv1, 19) || undefined);
  putAttribute(item, Tag.MedicalAlerts, 'LO', v(obr, 13) || undefined);
  putAttribute(item, Tag.PatientState, 'LO', v(obr, 12, 2) || v(obr, 12) || undefined);

  // Scheduled Procedure Step (PS3.3 C.4.10), one item.
  const sps: DicomJsonDataset = {};
  putAttribute(sps, Tag.Modality, 'CS', modality || undefined);
  putAttribute(sps, Tag.ScheduledStationAETitle, 'AE', scheduledStationAeTitle || undefined);
  putAttribute(sps, Tag.ScheduledProcedureStepStartDate, 'DA', hl7ToDicomDate(startRaw));
  putAttribute(sps, Tag.ScheduledProcedureStepStartTime, 'TM', hl7ToDicomTime(startRaw));
  // OBR-34 Technician (NDL): the name is the first component, in CNN subcomponents id&family&given….
  const technician = obr.subcomponents(34, 1, 1);
  putAttribute(
    sps,
    Tag.ScheduledPerformingPhysicianName,
    'PN',
    technician.length > 1 ? xcnToPersonName(technician) : joinPersonName([technician[0]]) || undefined,
  );
  putAttribute(sps, Tag.ScheduledProcedureStepDescription, 'LO', scheduledProcedureStepDescription || undefined);
  putSequence(sps, Tag.ScheduledProtocolCodeSequence, codeItem(protocol.code, protocol.meaning, protocol.scheme));
  putAttribute(sps, Tag.ScheduledProcedureStepID, 'SH', scheduledProcedureStepId || undefined);
  putAttribute(sps, Tag.ScheduledStationName, 'SH', scheduledStationName || undefined);
  putAttribute(sps, Tag.ScheduledProcedureStepLocation, 'SH', scheduledProcedureStepLocation || undefined);
  putAttribute(sps, Tag.ScheduledProcedureStepStatus, 'CS', spsStatus);
  item[Tag.ScheduledProcedureStepSequence] = { vr: 'SQ', Value: [sps] };

  // UPS workitem (PS3.4 Table CC.2.5-3): the request is referenced, not flattened.
  const workitem: DicomJsonDataset = { ...patient.attributes };
  putAttribute(workitem, Tag.ProcedureStepState, 'CS', upsState);
  if (priority) putAttribute(workitem, Tag.ScheduledProcedureStepPriority, 'CS', upsPriorityOf[priority]);
  putAttribute(workitem, Tag.ScheduledProcedureStepStartDateTime, 'DT', scheduledStartDateTime || undefined);
  putAttribute(
    workitem,
    Tag.ProcedureStepLabel,
    'LO',
    scheduledProcedureStepDescription || requestedProcedureDescription || undefined,
  );
  putSequence(workitem, Tag.ScheduledWorkitemCodeSequence, codeItem(protocol.code, protocol.meaning, protocol.scheme));
  const request: DicomJsonDataset = {};
  for (const tag of [
    Tag.AccessionNumber,
    Tag.IssuerOfAccessionNumberSequence,
    Tag.StudyInstanceUID,
    Tag.RequestedProcedureID,
    Tag.RequestedProcedureDescription,
    Tag.RequestedProcedureCodeSequence,
    Tag.PlacerOrderNumberImagingServiceRequest,
    Tag.FillerOrderNumberImagingServiceRequest,
    Tag.ReasonForTheRequestedProcedure,
    Tag.RequestingPhysician,
  ]) {
    const attribute = item[tag];
    if (attribute) request[tag] = attribute;
  }
  putSequence(workitem, Tag.ReferencedRequestSequence, request);

  return {
    orderControl,
    action,
    orderStatus,
    placerOrderNumber,
    fillerOrderNumber,
    accessionNumber,
    requestedProcedureId,
    requestedProcedureDescription,
    scheduledProcedureStepId,
    scheduledProcedureStepDescription,
    studyInstanceUid,
    modality,
    scheduledStationAeTitle,
    scheduledStationName,
    scheduledProcedureStepLocation,
    scheduledStartDateTime,
    priority,
    spsStatus,
    upsState,
    worklistItem: item,
    workitem,
  };
}
