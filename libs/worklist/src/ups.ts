// Closed sets and fixed texts of the Unified Procedure Step service (PS3.4 Annex CC) as UPS-RS uses them
// (PS3.18 §11).
import { SopClassUid } from '@pacs/dicom';

/** Procedure Step State (0074,1000), PS3.4 Table CC.1.1-1. */
export const ProcedureStepState = {
  Scheduled: 'SCHEDULED',
  InProgress: 'IN PROGRESS',
  Canceled: 'CANCELED',
  Completed: 'COMPLETED',
} as const;
export type ProcedureStepState = (typeof ProcedureStepState)[keyof typeof ProcedureStepState];
export const procedureStepStates: readonly ProcedureStepState[] = Object.values(ProcedureStepState);

/** Scheduled Procedure Step Priority (0074,1200), PS3.4 CC.2.5.1: enumerated values. */
export const upsPriorities = ['HIGH', 'MEDIUM', 'LOW'] as const;
export type UpsPriority = (typeof upsPriorities)[number];

/** Input Readiness State (0040,4041), PS3.4 Table CC.2.5-3: enumerated values. */
export const inputReadinessStates = ['READY', 'UNAVAILABLE', 'INCOMPLETE'] as const;

/** The SOP Class of a workitem created through UPS-RS Create (the UPS Push SOP Class, PS3.4 CC.3.1). */
export const upsSopClassUid = SopClassUid.UnifiedProcedureStepPush;

/** Every UPS SOP Class (PS3.4 Table CC.3.1-1): a Create payload may name any of them. */
export const upsSopClassUids: ReadonlySet<string> = new Set([
  SopClassUid.UnifiedProcedureStepPush,
  SopClassUid.UnifiedProcedureStepWatch,
  SopClassUid.UnifiedProcedureStepPull,
  SopClassUid.UnifiedProcedureStepEvent,
  SopClassUid.UnifiedProcedureStepQuery,
]);

/**
 * Warning header texts PS3.18 prescribes word for word (they follow `299 <service>: `). A failure's
 * DicomwebError message is one of them, so the Warning the exception filter writes is the standard's.
 */
export const UpsWarning = {
  /** PS3.18 §11.4.3.2 (Create). */
  createdWithModifications: 'The Workitem was created with modifications.',
  /** PS3.18 §11.6.3.2 (Update). */
  updatedWithModifications: 'The Workitem was updated with modifications.',
  /** PS3.18 §11.6.3.2 (Update refused: a Transaction UID for a workitem nobody claimed). */
  notClaimed: 'The target URI did not reference a claimed Workitem.',
  /** PS3.18 §11.6.3.2 (Update refused by the workitem's state). */
  inconsistentWithWorkitem: 'The submitted request is inconsistent with the current state of the Workitem.',
  /** PS3.18 §11.7.3.2 (Change State refused). */
  transactionUidMissing: 'The Transaction UID is missing.',
  transactionUidIncorrect: 'The Transaction UID is incorrect.',
  inconsistentWithUps: 'The submitted request is inconsistent with the state of the UPS Instance.',
  /** PS3.18 §11.7.3.2, §11.8.3.2 (warnings: the workitem already is where the request wants it). */
  alreadyCanceled: 'The UPS is already in the requested state of CANCELED.',
  alreadyCompleted: 'The UPS is already in the requested state of COMPLETED.',
} as const;
