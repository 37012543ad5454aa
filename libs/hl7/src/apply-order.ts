// ORM^O01 / OMI^O23 → UPS-RS: what each order control (HL7 table 0119) does to the step's workitem.
import { Tag, type DicomJsonDataset } from '@pacs/dicom';
import { Hl7Error, Hl7ErrorCode, OrderAction, type ProcedureOrder, type ProcedureStep } from '@pacs/hl7v2';
import { hl7TransactionUidOf, workitemOfStep, workitemUidOf } from './order-workitem';
import { type UpsClient, type UpsResponse } from './ups-client';

/** What happened to one step, for the ACK's text and the logs. */
export interface StepOutcome {
  readonly workitemUid: string;
  readonly action: OrderAction;
  readonly result: string;
}

const locked = (text: string): Hl7Error =>
  new Hl7Error(Hl7ErrorCode.ApplicationRecordLocked, text, { location: 'ORC-1' });

function stateOf(dataset: DicomJsonDataset | undefined): string | undefined {
  const v = dataset?.[Tag.ProcedureStepState]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
}

function unexpected(what: string, r: UpsResponse): Hl7Error {
  return new Hl7Error(
    Hl7ErrorCode.ApplicationInternalError,
    `${what} answered ${r.status}${r.warning ? `: ${r.warning}` : ''}`,
    { location: 'ORC' },
  );
}

/**
 * Applies the steps of an order to the worklist, one after the other:
 * - NW (new): Create Workitem; one that exists already (the message was resent) is left as it is.
 * - XO/XX (change): Update Workitem while it is SCHEDULED; created when unknown. Once IN PROGRESS or
 *   done the change cannot apply: AE 206 (record locked).
 * - CA/OC (cancel), DC/OD (discontinue): Request Cancellation of a SCHEDULED workitem (the worklist
 *   cancels it); an IN PROGRESS one the hl7 feature claimed is CANCELED with its Transaction UID, one
 *   somebody else performs gets the cancellation request recorded. Unknown: AE 204; COMPLETED: AE 206.
 * - SC (status changed) with ORC-5 IP / CM: the hl7 feature claims the workitem (Change State to IN
 *   PROGRESS with its own Transaction UID) and completes it; one performed by somebody else is left to
 *   them (CM on it: AE 206).
 * An order whose state orderToProcedureStep reads as not SCHEDULED is driven there the same way after it
 * is created. The worklist unreachable: UpsUnavailableError, answered AE so the sender tries again.
 */
export async function applyOrder(ups: UpsClient, order: ProcedureOrder, now: Date): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of order.steps) {
    const workitemUid = workitemUidOf(step);
    const result = await applyStep(ups, order, step, workitemUid, now);
    outcomes.push({ workitemUid, action: step.action, result });
  }
  return outcomes;
}

async function applyStep(
  ups: UpsClient,
  order: ProcedureOrder,
  step: ProcedureStep,
  uid: string,
  now: Date,
): Promise<string> {
  switch (step.action) {
    case OrderAction.New: {
      const created = await create(ups, order, step, uid, now);
      if (step.upsState !== 'SCHEDULED') return `${created}; ${await followStatus(ups, step, uid)}`;
      return created;
    }
    case OrderAction.Change: {
      const r = await ups.update(uid, workitemOfStep(step, order, { now, forCreate: false }));
      if (r.status === 200) return 'updated';
      if (r.status === 404) return create(ups, order, step, uid, now);
      if (r.status === 400 || r.status === 409) {
        throw locked(`The procedure step is no longer SCHEDULED; the change was not applied (${r.warning})`);
      }
      throw unexpected('Update Workitem', r);
    }
    case OrderAction.Cancel:
    case OrderAction.Discontinue:
      return cancel(ups, step, uid);
    case OrderAction.Status:
      return followStatus(ups, step, uid);
    case OrderAction.Other:
      throw new Hl7Error(
        Hl7ErrorCode.TableValueNotFound,
        `Order control "${step.orderControl}" is not handled (HL7 table 0119: NW, XO, CA, DC, SC)`,
        { location: 'ORC-1' },
      );
  }
}

async function create(
  ups: UpsClient,
  order: ProcedureOrder,
  step: ProcedureStep,
  uid: string,
  now: Date,
): Promise<string> {
  const r = await ups.create(uid, workitemOfStep(step, order, { now, forCreate: true }));
  if (r.status === 201) return 'created';
  if (r.status === 409) return 'exists';
  throw new Hl7Error(
    r.status === 400 ? Hl7ErrorCode.RequiredFieldMissing : Hl7ErrorCode.ApplicationInternalError,
    `The procedure step cannot be scheduled: ${r.warning || `Create Workitem answered ${r.status}`}`,
    { location: 'ORC' },
  );
}

async function cancel(ups: UpsClient, step: ProcedureStep, uid: string): Promise<string> {
  const current = await ups.retrieve(uid);
  const state = stateOf(current);
  if (!current) {
    throw new Hl7Error(Hl7ErrorCode.UnknownKeyIdentifier, 'No such scheduled procedure step to cancel', {
      location: 'ORC-2',
    });
  }
  if (state === 'CANCELED') return 'already canceled';
  if (state === 'COMPLETED') throw locked('The procedure step is COMPLETED; it cannot be canceled');
  if (state === 'IN PROGRESS') {
    const r = await ups.changeState(uid, 'CANCELED', hl7TransactionUidOf(uid));
    if (r.status === 200) return 'canceled';
    if (r.status !== 400) throw unexpected('Change Workitem State', r);
    // Performed by somebody else: they decide; the request is recorded on the workitem.
  }
  const reason: DicomJsonDataset = {
    [Tag.ReasonForCancellation]: {
      vr: 'LT',
      Value: [`Order ${step.orderControl} (${step.action}) from the RIS, placer ${step.placerOrderNumber || '-'}`],
    },
  };
  const r = await ups.requestCancellation(uid, reason);
  if (r.status === 202) return state === 'IN PROGRESS' ? 'cancellation requested' : 'canceled';
  if (r.status === 409) throw locked('The procedure step is COMPLETED; it cannot be canceled');
  throw unexpected('Request Cancellation', r);
}

/** Drives the workitem to the state the order's status (ORC-5) reports. */
async function followStatus(ups: UpsClient, step: ProcedureStep, uid: string): Promise<string> {
  const txn = hl7TransactionUidOf(uid);
  switch (step.upsState) {
    case 'SCHEDULED':
      return 'status noted';
    case 'CANCELED':
      return cancel(ups, step, uid);
    case 'IN PROGRESS': {
      const r = await ups.changeState(uid, 'IN PROGRESS', txn);
      if (r.status === 200 || r.status === 409) return 'in progress';
      if (r.status === 404)
        throw new Hl7Error(Hl7ErrorCode.UnknownKeyIdentifier, 'No such procedure step', { location: 'ORC-2' });
      throw unexpected('Change Workitem State', r);
    }
    case 'COMPLETED': {
      const claim = await ups.changeState(uid, 'IN PROGRESS', txn);
      if (claim.status === 404) {
        throw new Hl7Error(Hl7ErrorCode.UnknownKeyIdentifier, 'No such procedure step', { location: 'ORC-2' });
      }
      const r = await ups.changeState(uid, 'COMPLETED', txn);
      if (r.status === 200) return 'completed';
      if (r.status === 400 || r.status === 409) {
        const current = stateOf(await ups.retrieve(uid));
        if (current === 'COMPLETED') return 'already completed';
        throw locked(
          `The procedure step is ${current ?? 'unknown'} and performed by another owner; it was not completed`,
        );
      }
      throw unexpected('Change Workitem State', r);
    }
  }
}
