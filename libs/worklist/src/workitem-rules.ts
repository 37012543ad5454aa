// What the Unified Procedure Step SCP does with each request (PS3.4 Annex CC), as pure functions over the
// stored workitem: the store runs them inside a transaction that holds the workitem's row.
import { isValidUid, Tag, type DicomJsonDataset } from '@pacs/dicom';
import { DicomwebError } from '@pacs/dicomweb';
import { dtToSqlTimestamp, formatDt } from './dicom-date-time';
import {
  inputReadinessStates,
  ProcedureStepState,
  procedureStepStates,
  upsPriorities,
  upsSopClassUid,
  upsSopClassUids,
  UpsWarning,
} from './ups';
import { itemsOf, textOf } from './workitem-columns';

/** A workitem as the store keeps it. */
export interface StoredWorkitem {
  readonly uid: string;
  readonly state: ProcedureStepState;
  /** The owner's lock, set by the change to IN PROGRESS; never returned to clients. */
  readonly transactionUid: string | null;
  /** When it went IN PROGRESS (UTC), for the final state's Performed Procedure Step Start DateTime. */
  readonly inProgressAt: Date | null;
  /** The data set, without Transaction UID. */
  readonly dataset: DicomJsonDataset;
}

/** The outcome of a request that changes a workitem. */
export interface WorkitemChange {
  readonly state: ProcedureStepState;
  readonly transactionUid: string | null;
  readonly inProgressAt: Date | null;
  readonly dataset: DicomJsonDataset;
  /** A Warning text of PS3.18 (the request succeeded with it). */
  readonly warning?: string;
  /** Nothing changed (a repeated final state): the store writes nothing. */
  readonly unchanged?: boolean;
}

const bad = (message: string): DicomwebError => new DicomwebError('BadRequest', message);
const conflict = (message: string): DicomwebError => new DicomwebError('Conflict', message);

const tagPattern = /^[0-9A-F]{8}$/;
const vrPattern = /^[A-Z]{2}$/;

/**
 * The one data set of a UPS-RS request body (application/dicom+json, PS3.18 §11.1.3: a JSON array of
 * workitems; a bare object is accepted too). Checks the DICOM JSON shape of the top level (PS3.18 F.2):
 * keys are 8 upper-case hex digits, each value an object with a VR and at most one of Value,
 * BulkDataURI, InlineBinary.
 * @throws DicomwebError BadRequest
 */
export function readWorkitemPayload(body: unknown, options: { optional?: boolean } = {}): DicomJsonDataset {
  if (body === undefined || body === null || body === '') {
    if (options.optional) return {};
    throw bad('The request has no payload: a workitem in application/dicom+json is required');
  }
  let dataset: unknown = body;
  if (Array.isArray(body)) {
    if (body.length !== 1) throw bad(`The payload holds ${body.length} data sets; exactly one is expected`);
    dataset = body[0];
  }
  if (typeof dataset !== 'object' || dataset === null || Array.isArray(dataset)) {
    throw bad('The payload is not a DICOM JSON data set (PS3.18 F.2)');
  }
  for (const [tag, element] of Object.entries(dataset as Record<string, unknown>)) {
    if (!tagPattern.test(tag)) throw bad(`"${tag.slice(0, 16)}" is not a DICOM JSON attribute tag (PS3.18 F.2.1.1)`);
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      throw bad(`Attribute ${tag} is not a DICOM JSON attribute object`);
    }
    const { vr, Value, BulkDataURI, InlineBinary } = element as Record<string, unknown>;
    if (typeof vr !== 'string' || !vrPattern.test(vr)) throw bad(`Attribute ${tag} has no valid vr`);
    if (Value !== undefined && !Array.isArray(Value)) throw bad(`The Value of attribute ${tag} is not an array`);
    if ([Value, BulkDataURI, InlineBinary].filter((x) => x !== undefined).length > 1) {
      throw bad(`Attribute ${tag} has more than one of Value, BulkDataURI and InlineBinary (PS3.18 F.2.2)`);
    }
  }
  return dataset as DicomJsonDataset;
}

const present = (ds: DicomJsonDataset, tag: string): boolean => ds[tag] !== undefined;
const element = (vr: string, value: unknown): DicomJsonDataset[string] => ({ vr, Value: [value] });

function requireEnumerated(ds: DicomJsonDataset, tag: string, keyword: string, allowed: readonly string[]): void {
  const value = textOf(ds, tag);
  if (value === null) throw bad(`${keyword} (${tag}) is required (PS3.4 Table CC.2.5-3, Type 1)`);
  if (!allowed.includes(value)) throw bad(`${keyword} "${value}" is not one of ${allowed.join(', ')}`);
}

function requireDt(ds: DicomJsonDataset, tag: string, keyword: string, required: boolean): void {
  const value = textOf(ds, tag);
  if (value === null) {
    if (required) throw bad(`${keyword} (${tag}) is required (PS3.4 Table CC.2.5-3, Type 1)`);
    return;
  }
  if (dtToSqlTimestamp(value) === undefined) throw bad(`${keyword} "${value.slice(0, 32)}" is not a valid DT value`);
}

/** The Type 1 attributes of a workitem (PS3.4 Table CC.2.5-3) and the checks of their values. */
function checkType1(ds: DicomJsonDataset): void {
  requireEnumerated(ds, Tag.ScheduledProcedureStepPriority, 'ScheduledProcedureStepPriority', upsPriorities);
  if (textOf(ds, Tag.ProcedureStepLabel) === null) {
    throw bad(`ProcedureStepLabel (${Tag.ProcedureStepLabel}) is required (PS3.4 Table CC.2.5-3, Type 1)`);
  }
  requireDt(ds, Tag.ScheduledProcedureStepStartDateTime, 'ScheduledProcedureStepStartDateTime', true);
  requireEnumerated(ds, Tag.InputReadinessState, 'InputReadinessState', inputReadinessStates);
  requireDt(ds, Tag.ExpectedCompletionDateTime, 'ExpectedCompletionDateTime', false);
  requireDt(ds, Tag.ScheduledProcedureStepExpirationDateTime, 'ScheduledProcedureStepExpirationDateTime', false);
}

export interface CreateRequest {
  /** The {workitem} query parameter (PS3.18 §11.4.1.1). */
  readonly workitemUid?: string;
  readonly dataset: DicomJsonDataset;
  readonly now: Date;
  /** Makes a Workitem UID when the request gives none. */
  readonly newUid: () => string;
}

/**
 * A new workitem from a Create request (PS3.18 §11.4; PS3.4 CC.2.5.1.3.1, the N-CREATE column of Table
 * CC.2.5-3): Procedure Step State SCHEDULED, no Transaction UID, the Type 1 attributes present and valid.
 * The SCP sets SOP Class UID, SOP Instance UID (the Workitem UID) and Scheduled Procedure Step
 * Modification DateTime. A Workitem UID the request does not give is made here, and said with the
 * "created with modifications" warning.
 * @throws DicomwebError BadRequest
 */
export function createWorkitem(request: CreateRequest): { uid: string; change: WorkitemChange } {
  const ds: DicomJsonDataset = { ...request.dataset };
  let modified = false;
  const inPayload = textOf(ds, Tag.SOPInstanceUID);
  if (request.workitemUid !== undefined && inPayload !== null && inPayload !== request.workitemUid) {
    throw bad('The Workitem UID of the request differs from the SOPInstanceUID of the payload');
  }
  let uid = request.workitemUid ?? inPayload ?? undefined;
  if (uid === undefined) {
    uid = request.newUid();
    modified = true;
  }
  if (!isValidUid(uid)) throw bad(`"${uid.slice(0, 70)}" is not a valid Workitem UID (PS3.5 §9.1)`);

  const state = textOf(ds, Tag.ProcedureStepState);
  if (state !== ProcedureStepState.Scheduled) {
    // PS3.4 Table CC.2.5-3: Procedure Step State is SCHEDULED in an N-CREATE, and only there (C303).
    throw bad(`ProcedureStepState must be SCHEDULED in a new workitem, not ${state === null ? 'empty' : `"${state}"`}`);
  }
  if (textOf(ds, Tag.TransactionUID) !== null) {
    throw bad('A new workitem has no Transaction UID (PS3.4 Table CC.2.5-3: not allowed in N-CREATE)');
  }
  delete ds[Tag.TransactionUID];
  const sopClass = textOf(ds, Tag.SOPClassUID);
  if (sopClass !== null && !upsSopClassUids.has(sopClass)) {
    throw bad(`SOPClassUID ${sopClass.slice(0, 64)} is not a Unified Procedure Step SOP Class`);
  }
  checkType1(ds);

  ds[Tag.SOPClassUID] = element('UI', sopClass ?? upsSopClassUid);
  ds[Tag.SOPInstanceUID] = element('UI', uid);
  ds[Tag.ScheduledProcedureStepModificationDateTime] = element('DT', formatDt(request.now));
  return {
    uid,
    change: {
      state: ProcedureStepState.Scheduled,
      transactionUid: null,
      inProgressAt: null,
      dataset: ds,
      ...(modified ? { warning: UpsWarning.createdWithModifications } : {}),
    },
  };
}

/** Attributes an Update may not set (PS3.4 Table CC.2.5-3, N-SET column "Not allowed", and the SCP's own). */
const notSettable = new Set<string>([Tag.ProcedureStepState, Tag.TransactionUID]);
/** Attributes the SCP manages; a value equal to the stored one is ignored, another one refused. */
const identity: readonly string[] = [Tag.SOPClassUID, Tag.SOPInstanceUID];

/**
 * An Update Workitem (PS3.18 §11.6; PS3.4 CC.2.6.3 N-SET):
 * - COMPLETED or CANCELED: 400 (PS3.18 §11.6.2: "the response shall be a 400 (Bad Request)");
 * - IN PROGRESS: the request's Transaction UID must be the workitem's: missing or incorrect is a 400
 *   (PS3.18 Table 11.6.3-1);
 * - SCHEDULED: nobody owns it, so a request that gives a Transaction UID is inconsistent with its state:
 *   409 (Table 11.6.3-1) with "The target URI did not reference a claimed Workitem." (§11.6.3.2).
 * Each attribute of the payload replaces the stored one (a sequence with all its items); one without a
 * value clears it, except Type 1 attributes. Procedure Step State and Transaction UID cannot be set here.
 * @throws DicomwebError BadRequest | Conflict
 */
export function updateWorkitem(
  current: StoredWorkitem,
  request: { dataset: DicomJsonDataset; transactionUid?: string; now: Date },
): WorkitemChange {
  if (current.state === ProcedureStepState.Completed || current.state === ProcedureStepState.Canceled) {
    throw bad(UpsWarning.inconsistentWithWorkitem);
  }
  if (current.state === ProcedureStepState.InProgress) {
    if (!request.transactionUid) throw bad(UpsWarning.transactionUidMissing);
    if (request.transactionUid !== current.transactionUid) throw bad(UpsWarning.transactionUidIncorrect);
  } else if (request.transactionUid) {
    throw conflict(UpsWarning.notClaimed);
  }
  const ds: DicomJsonDataset = { ...current.dataset };
  for (const [tag, value] of Object.entries(request.dataset)) {
    if (notSettable.has(tag)) {
      throw bad(
        tag === Tag.ProcedureStepState
          ? 'ProcedureStepState is changed with Change Workitem State (PUT .../state), not with Update'
          : 'The Transaction UID is given as the query parameter of an Update, not in its payload',
      );
    }
    if (identity.includes(tag)) {
      if (textOf(request.dataset, tag) !== textOf(current.dataset, tag)) {
        throw bad(`${tag === Tag.SOPInstanceUID ? 'SOPInstanceUID' : 'SOPClassUID'} of a workitem cannot change`);
      }
      continue;
    }
    ds[tag] = value;
  }
  checkType1(ds);
  ds[Tag.ScheduledProcedureStepModificationDateTime] = element('DT', formatDt(request.now));
  return {
    state: current.state,
    transactionUid: current.transactionUid,
    inProgressAt: current.inProgressAt,
    dataset: ds,
  };
}

/** The Change UPS State data elements of a Change Workitem State payload (PS3.18 §11.7.1.4). */
export function readStateChange(dataset: DicomJsonDataset): { state: ProcedureStepState; transactionUid: string } {
  const state = textOf(dataset, Tag.ProcedureStepState);
  if (state === null) throw bad('The payload has no ProcedureStepState (0074,1000)');
  // PS3.18 §11.7.1.4 spells the value "CANCELLED" once; the enumerated value of PS3.4 is CANCELED.
  const wanted = state === 'CANCELLED' ? ProcedureStepState.Canceled : state;
  if (!(procedureStepStates as readonly string[]).includes(wanted)) {
    throw bad(`"${state.slice(0, 32)}" is not a Procedure Step State (${procedureStepStates.join(', ')})`);
  }
  const transactionUid = textOf(dataset, Tag.TransactionUID);
  if (transactionUid === null) throw bad(UpsWarning.transactionUidMissing);
  if (!isValidUid(transactionUid)) throw bad(`${UpsWarning.transactionUidIncorrect} It is not a valid UID.`);
  return { state: wanted as ProcedureStepState, transactionUid };
}

/**
 * Change Workitem State (PS3.18 §11.7), the transitions of PS3.4 Table CC.1.1-2 and their status codes in
 * PS3.18 Table 11.7.3-1:
 *
 *   requested     SCHEDULED            IN PROGRESS                   CANCELED            COMPLETED
 *   SCHEDULED     409 (C303)           409 (C303)                    409 (C303)          409 (C303)
 *   IN PROGRESS   → IN PROGRESS,       409 (C302 already             409 (C300)          409 (C300)
 *                 lock = Transaction   in progress)
 *   CANCELED      409 (C310 not yet    lock ≠: 400 (C301)            lock =: 200 +       409 (C300)
 *                 in progress)         else → CANCELED               warning (B304)
 *   COMPLETED     409 (C310)           lock ≠: 400 (C301)            409 (C300)          lock =: 200 +
 *                                      else → COMPLETED                                  warning (B306)
 *
 * Table 11.7.3-1 names "the Transaction UID is missing / is incorrect" under 400 (Bad Request) and "the
 * request is inconsistent with the current state of the Target Workitem" under 409 (Conflict).
 * Final state requirements (PS3.4 Table CC.2.5-3, Final State column): when a workitem
 * becomes COMPLETED the SCP fills what the performer left out: the Unified Procedure Step Performed
 * Procedure Sequence with Performed Procedure Step Start DateTime (when it went IN PROGRESS) and End
 * DateTime (now); when it becomes CANCELED, Procedure Step Cancellation DateTime in the Procedure Step
 * Progress Information Sequence.
 * @throws DicomwebError BadRequest | Conflict
 */
export function changeWorkitemState(
  current: StoredWorkitem,
  request: { state: ProcedureStepState; transactionUid: string; now: Date },
): WorkitemChange {
  const { state: to, transactionUid, now } = request;
  const from = current.state;
  const refuse = (): never => {
    throw conflict(UpsWarning.inconsistentWithUps);
  };
  if (to === ProcedureStepState.Scheduled) return refuse();
  if (to === ProcedureStepState.InProgress) {
    if (from !== ProcedureStepState.Scheduled) return refuse();
    return {
      state: ProcedureStepState.InProgress,
      transactionUid,
      inProgressAt: now,
      dataset: { ...current.dataset, [Tag.ScheduledProcedureStepModificationDateTime]: element('DT', formatDt(now)) },
    };
  }
  // to COMPLETED or CANCELED
  if (from === ProcedureStepState.Scheduled) return refuse();
  if (from === to) {
    if (current.transactionUid !== null && current.transactionUid !== transactionUid) {
      throw bad(UpsWarning.transactionUidIncorrect);
    }
    return {
      ...current,
      unchanged: true,
      warning: to === ProcedureStepState.Canceled ? UpsWarning.alreadyCanceled : UpsWarning.alreadyCompleted,
    };
  }
  if (from !== ProcedureStepState.InProgress) return refuse();
  if (current.transactionUid !== transactionUid) throw bad(UpsWarning.transactionUidIncorrect);
  const dataset =
    to === ProcedureStepState.Completed
      ? withPerformedTimes(current.dataset, current.inProgressAt ?? now, now)
      : withCancellation(current.dataset, now, {});
  dataset[Tag.ScheduledProcedureStepModificationDateTime] = element('DT', formatDt(now));
  return { state: to, transactionUid, inProgressAt: current.inProgressAt, dataset };
}

/** COMPLETED final state: the performed procedure's start and end, unless the performer gave them. */
function withPerformedTimes(ds: DicomJsonDataset, started: Date, ended: Date): DicomJsonDataset {
  const performed = { ...(itemsOf(ds, Tag.UnifiedProcedureStepPerformedProcedureSequence)[0] ?? {}) };
  if (textOf(performed, Tag.PerformedProcedureStepStartDateTime) === null) {
    performed[Tag.PerformedProcedureStepStartDateTime] = element('DT', formatDt(started));
  }
  if (textOf(performed, Tag.PerformedProcedureStepEndDateTime) === null) {
    performed[Tag.PerformedProcedureStepEndDateTime] = element('DT', formatDt(ended));
  }
  const others = itemsOf(ds, Tag.UnifiedProcedureStepPerformedProcedureSequence).slice(1);
  return { ...ds, [Tag.UnifiedProcedureStepPerformedProcedureSequence]: { vr: 'SQ', Value: [performed, ...others] } };
}

/** The Request UPS Cancel action information (PS3.4 Table CC.2.2-1) a cancellation request may carry. */
export interface CancellationInfo {
  readonly reason?: DicomJsonDataset[string];
  readonly reasonCodes?: DicomJsonDataset[string];
  readonly contactUri?: DicomJsonDataset[string];
  readonly contactName?: DicomJsonDataset[string];
}

/** Reads the action information of a Request Cancellation payload (PS3.18 §11.8.1.4). */
export function readCancellationInfo(dataset: DicomJsonDataset): CancellationInfo {
  return {
    reason: dataset[Tag.ReasonForCancellation],
    reasonCodes: dataset[Tag.ProcedureStepDiscontinuationReasonCodeSequence],
    contactUri: dataset[Tag.ContactURI],
    contactName: dataset[Tag.ContactDisplayName],
  };
}

/**
 * The Procedure Step Progress Information Sequence with the cancellation recorded: Procedure Step
 * Cancellation DateTime, Reason For Cancellation, Procedure Step Discontinuation Reason Code Sequence and
 * the contact (Procedure Step Communications URI Sequence), PS3.4 Table CC.2.5-3.
 */
function withCancellation(ds: DicomJsonDataset, now: Date, info: CancellationInfo): DicomJsonDataset {
  const progress: DicomJsonDataset = { ...(itemsOf(ds, Tag.ProcedureStepProgressInformationSequence)[0] ?? {}) };
  if (textOf(progress, Tag.ProcedureStepCancellationDateTime) === null) {
    progress[Tag.ProcedureStepCancellationDateTime] = element('DT', formatDt(now));
  }
  if (info.reason) progress[Tag.ReasonForCancellation] = info.reason;
  if (info.reasonCodes) progress[Tag.ProcedureStepDiscontinuationReasonCodeSequence] = info.reasonCodes;
  if (info.contactUri || info.contactName) {
    const contact: DicomJsonDataset = {};
    if (info.contactUri) contact[Tag.ContactURI] = info.contactUri;
    if (info.contactName) contact[Tag.ContactDisplayName] = info.contactName;
    progress[Tag.ProcedureStepCommunicationsURISequence] = { vr: 'SQ', Value: [contact] };
  }
  return { ...ds, [Tag.ProcedureStepProgressInformationSequence]: { vr: 'SQ', Value: [progress] } };
}

/**
 * Request Cancellation (PS3.18 §11.8; PS3.4 CC.2.4.3, Request UPS Cancel):
 * - SCHEDULED: nobody performs it yet, so the SCP cancels it itself (the cancellation recorded with the
 *   request's reason and contact): 202;
 * - IN PROGRESS: the owner decides; the request is recorded in the Procedure Step Progress Information
 *   Sequence (where a performer polling the workitem sees it; event notifications are not offered): 202;
 * - CANCELED: 202 with "The UPS is already in the requested state of CANCELED." (§11.8.3.2);
 * - COMPLETED: 409 (Table 11.8.3-1: inconsistent with the current state).
 * @throws DicomwebError Conflict
 */
export function requestCancellation(current: StoredWorkitem, info: CancellationInfo, now: Date): WorkitemChange {
  switch (current.state) {
    case ProcedureStepState.Completed:
      throw conflict(UpsWarning.inconsistentWithWorkitem);
    case ProcedureStepState.Canceled:
      return { ...current, unchanged: true, warning: UpsWarning.alreadyCanceled };
    case ProcedureStepState.Scheduled:
    case ProcedureStepState.InProgress: {
      const dataset = withCancellation(current.dataset, now, info);
      dataset[Tag.ScheduledProcedureStepModificationDateTime] = element('DT', formatDt(now));
      if (current.state === ProcedureStepState.InProgress) {
        // Recorded, not enacted: no Cancellation DateTime until the owner cancels.
        const before = itemsOf(current.dataset, Tag.ProcedureStepProgressInformationSequence)[0] ?? {};
        const progress = itemsOf(dataset, Tag.ProcedureStepProgressInformationSequence)[0]!;
        if (!present(before, Tag.ProcedureStepCancellationDateTime))
          delete progress[Tag.ProcedureStepCancellationDateTime];
        return { ...current, dataset };
      }
      return { ...current, state: ProcedureStepState.Canceled, dataset };
    }
  }
}

/** The workitem as clients see it: never its Transaction UID (PS3.18 §11.5.2). */
export const publicDataset = (ds: DicomJsonDataset): DicomJsonDataset => {
  const { [Tag.TransactionUID]: _lock, ...rest } = ds;
  return rest;
};
