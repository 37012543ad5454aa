// The port every feature publishes and consumes events through. Two adapters: KafkaEventBus (services, cluster) and
// MemoryEventBus (the embedded all-in-one process). Values are the encoded events of @pacs/contracts; the bus moves
// bytes and never decodes them.
import { type Topic } from './topics';

export interface BusMessage {
  topic: Topic;
  /** Partitioning key: messages with one key stay in order. StudyInstanceUID for instance events, so a study stays ordered. */
  key: string;
  value: Uint8Array;
  /** Travels with the message, e.g. the event type (`pacs-event-type`, see @pacs/contracts) or a request id. */
  headers?: Record<string, string>;
}

/** A message as a handler receives it: where it was in its topic. */
export interface ReceivedMessage extends BusMessage {
  headers: Record<string, string>;
  partition: number;
  /** Position in the partition (a decimal string: Kafka offsets are 64-bit). */
  offset: string;
}

export type BatchHandler = (batch: ReceivedMessage[]) => Promise<void>;

export interface SubscribeOptions {
  topic: Topic;
  /** Consumer group: the members of one group share the partitions, and the group's progress is committed. */
  group: string;
  /**
   * Gets the messages of one partition in order, at most maxBatchSize at a time. When it resolves the batch is
   * committed (so it commits its own work, e.g. the database transaction, before resolving); when it throws the
   * batch is retried (see RetryPolicy), then dead-lettered message by message.
   */
  handler: BatchHandler;
  /** Most messages per handler call; default 100. */
  maxBatchSize?: number;
}

export interface BroadcastOptions {
  topic: Topic;
  /** Gets every message published after broadcast() resolved, in order per partition. Nothing is committed. */
  handler: BatchHandler;
  maxBatchSize?: number;
}

export interface Subscription {
  /**
   * Stops consuming. Waits for a running handler: its batch is committed if it resolves, otherwise it is not and
   * goes to the next member of the group. No retry is started once close() is called.
   */
  close(): Promise<void>;
}

export interface EventBus {
  /**
   * Resolves when the bus has every message durably (Kafka: acks=all by an idempotent producer). Rejects with
   * BusUnavailableError (retryable) when the broker cannot be reached within the configured time; the messages
   * may then have been written or not (consumers are idempotent, so retrying is safe).
   */
  publish(messages: BusMessage[]): Promise<void>;
  /**
   * Consumer-group subscription, at least once: offsets are committed only after handler(batch) resolved. A new
   * group starts at the oldest retained message. Handler errors are retried with backoff; a message that keeps
   * failing goes to the dead-letter topic with the error in its headers (DeadLetterHeader), and its partition goes on.
   */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Every subscriber (every replica) gets every message published after this resolved; no group sharing, no
   * committed offsets. STOW-RS uses it to learn when its own instances were indexed. A message whose handler keeps
   * failing is logged and skipped (not dead-lettered: every replica sees it).
   */
  broadcast(options: BroadcastOptions): Promise<Subscription>;
  /** Closes every subscription, then the connections. Later calls to publish reject with BusUnavailableError. */
  close(): Promise<void>;
}

/**
 * How a failing handler is retried. The error's own `retryable` property decides first:
 * - `retryable: false` (e.g. ContractDecodeError: the bytes will not decode better next time): no retry;
 * - `retryable: true` (the database or another dependency is down, not the message's fault): retried with backoff
 *   for as long as it takes, never dead-lettered — the partition waits, its messages are not lost;
 * - neither: retried up to `attempts` times in all.
 * When a batch fails for good, its messages are retried one by one the same way, so only the ones that fail alone
 * are dead-lettered.
 */
export interface RetryPolicy {
  /** Handler calls for a batch (and then for each of its messages) before giving up; at least 1. */
  attempts: number;
  /** Wait after the first failure; doubled after each further one. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10_000 };

/** Where the buses report what they cannot throw (handler failures, dead letters, client warnings). */
export interface BusLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export const consoleBusLogger: BusLogger = {
  warn: (message, details) => console.warn(message, details ?? ''),
  error: (message, details) => console.error(message, details ?? ''),
};

export const silentBusLogger: BusLogger = { warn: () => {}, error: () => {} };
