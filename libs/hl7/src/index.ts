// @pacs/hl7 — the RIS/EHR integration: HL7 v2 over MLLP in (ADT, orders), reports out (ORU^R01, webhooks).
export { Hl7Module, Hl7Feature } from './hl7.module';
export { MllpListener } from './mllp-listener';
export { OutboxWorker } from './outbox-worker';
export { UpsCompletionPoller, reportReferencesOf } from './ups-completion.poller';
export { Hl7Repository } from './hl7-repository';
export {
  Hl7Store,
  hl7MigrationsDir,
  hl7MigrationsTable,
  OutboxChannel,
  type OutboxEntry,
  type OutboxState,
  type PatientKey,
  type PatientRecord,
} from './hl7-store';
export { reportConsumerGroup } from './instance-indexed.consumer';
export { applyOrder, type StepOutcome } from './apply-order';
export { hl7TransactionUidOf, stationCodingScheme, workitemOfStep, workitemUidOf } from './order-workitem';
export { hl7EventId, patientKey } from './patient-events';
export { oruOfReport, reportFacts, reportSopClasses, webhookBodyOfReport, type ReportFacts } from './report-of-dataset';
export { UpsClient, UpsUnavailableError, type UpsResponse } from './ups-client';
export { uidFromName } from './uid-from-name';
