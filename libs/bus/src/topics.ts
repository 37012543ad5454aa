// The topics of the events of proto/pacs/events/v1 and how many partitions each gets. Also read by
// scripts/infra/kafka/topics.mjs (Node's type stripping) to create them when the local broker starts,
// so this file imports nothing and uses only erasable TypeScript syntax.

/** Logical topic names. The Kafka topic is `PACS_KAFKA_TOPIC_PREFIX + name` (several installs can share a cluster). */
export const Topic = {
  InstanceStored: 'instance.stored',
  InstanceIndexed: 'instance.indexed',
  InstanceDeleted: 'instance.deleted',
  PatientUpdated: 'patient.updated',
  PatientsMerged: 'patients.merged',
  /** Messages a subscriber could not handle (after its retries), with the error in headers (`DeadLetterHeader`). */
  DeadLetter: 'dead-letter',
} as const;
export type Topic = (typeof Topic)[keyof typeof Topic];

export const topics: readonly Topic[] = Object.values(Topic);

/**
 * Partitions of each topic. A partition is the unit of order (one key always lands in the same one) and of
 * parallelism (at most one consumer of a group reads it). Adding partitions later moves keys to other partitions,
 * which breaks per-key order for keys in flight, so the counts are chosen generously up front.
 */
export const topicPartitions: Readonly<Record<Topic, number>> = {
  // Ingest: the index consumers of one group scale out up to this many.
  'instance.stored': 8,
  // Read by every STOW replica (broadcast) and by thumbnail/notification consumers.
  'instance.indexed': 4,
  'instance.deleted': 4,
  'patient.updated': 4,
  // Rare, and easier to reason about in one total order.
  'patients.merged': 1,
  'dead-letter': 1,
};

/** The Kafka topic name of a logical topic. */
export const topicName = (prefix: string, topic: Topic): string => `${prefix}${topic}`;
