// @pacs/worklist — the Worklist Service (UPS-RS, PS3.18 §11; PS3.4 Annex CC) and the priors of a study.
export { WorklistModule, WorklistFeature } from './worklist.module';
export { WorklistService, type WorkitemOutcome } from './worklist.service';
export { PriorsPrefetcher, type PrefetchRequest } from './priors-prefetcher';
export { WorkitemStore, worklistMigrationsDir, worklistMigrationsTable } from './workitem-store';
export { planWorkitemSearch, workitemMatchingKeys, type WorkitemSearchPlan } from './plan-workitem-search';
export { findPriors, studyContext, type PriorStudy, type PriorsQuery } from './find-priors';
export {
  changeWorkitemState,
  createWorkitem,
  publicDataset,
  readStateChange,
  readWorkitemPayload,
  requestCancellation,
  updateWorkitem,
  type StoredWorkitem,
  type WorkitemChange,
} from './workitem-rules';
export { inputReadinessStates, ProcedureStepState, upsPriorities, upsSopClassUid, UpsWarning } from './ups';
