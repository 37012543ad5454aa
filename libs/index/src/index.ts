export type { Sql } from './sql';
export { openIndexDatabase, type IndexDatabase, type IndexDatabaseOptions } from './index-database';
export { applyMigrations, listMigrations, migrationsDir, splitStatements, type Migration } from './migrate';
export {
  writeInstances,
  refreshComputedAttributes,
  type InstanceRecord,
  type IndexOutcome,
  type IndexOutcomeKind,
} from './index-writer';
export {
  search,
  planSearch,
  likePattern,
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
  sqlDate,
  sqlTime,
  stringValue,
  type DicomJsonDataset,
  type DicomJsonElement,
} from './dataset-values';
