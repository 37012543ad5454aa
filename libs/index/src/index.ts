export type { Sql } from './sql';
export { openIndexDatabase, type IndexDatabase, type IndexDatabaseOptions } from './index-database';
export { DataDirInUseError, lockDataDir, type DataDirLock } from './data-dir-lock';
export { applyMigrations, listMigrations, migrationsDir, splitStatements, type Migration } from './migrate';
export {
  writeInstances,
  refreshComputedAttributes,
  type InstanceRecord,
  type IndexOutcome,
  type IndexOutcomeKind,
} from './index-writer';
export { deleteInstances, type DeleteTarget, type DeletedInstance } from './delete-instances';
export {
  findPatientModule,
  findPatientRecord,
  mergePatients,
  updatePatient,
  type PatientIdentity,
  type PatientMerge,
  type PatientMergeOutcome,
  type PatientRecord,
  type PatientUpdate,
  type PatientUpdateOutcome,
} from './patients';
export {
  addExtendedQueryTags,
  deleteExtendedQueryTag,
  extendedTagColumns,
  extendedTagValueKinds,
  ExtendedQueryTagError,
  getExtendedQueryTag,
  listExtendedQueryTags,
  reindexExtendedQueryTags,
  type ExtendedQueryTag,
  type ExtendedQueryTagDefinition,
  type ExtendedQueryTagErrorKind,
  type ExtendedTagColumn,
  type ExtendedTagLevel,
  type ExtendedTagStatus,
  type ReindexStep,
} from './extended-query-tags';
export {
  search,
  planSearch,
  likePattern,
  isBuiltInMatchingKey,
  supportedMatchingKeys,
  UnsupportedMatchError,
  type MatchCondition,
  type SearchLevel,
  type SearchQuery,
  type SearchResult,
  type SearchRow,
} from './search';
export {
  findInstances,
  findInstanceDetails,
  type InstanceLocator,
  type StoredInstance,
  type StoredInstanceDetail,
} from './retrieve';
export {
  attributesOfLevel,
  patientLevelTags,
  studyLevelTags,
  seriesLevelTags,
  instanceLevelTags,
} from './attribute-levels';
export {
  normalizeForMatching,
  personNameNorm,
  sqlDate,
  sqlTime,
  stringValue,
  timezoneOffsetMinutes,
  type DicomJsonDataset,
  type DicomJsonElement,
} from './dataset-values';
