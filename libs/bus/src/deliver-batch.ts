// The retry, isolation and give-up rules of RetryPolicy (event-bus.ts), shared by both buses so that embedded and
// Kafka deployments fail the same way.
import { type BatchHandler, type BusLogger, type ReceivedMessage, type RetryPolicy } from './event-bus';

export interface DeliveryControl {
  /** Aborted when the subscription closes: no attempt starts after it, and backoff waits end at once. */
  signal: AbortSignal;
  /** Other reasons to stop early (Kafka: the partition was revoked). */
  stopped?: () => boolean;
  /** Called between attempts (Kafka: keeps the group membership alive through long backoffs). */
  heartbeat?: () => Promise<void>;
  /** Every message up to and including `last` is done. */
  commit(last: ReceivedMessage): Promise<void>;
  /** `message` failed for good after `attempts` handler calls. */
  giveUp(message: ReceivedMessage, error: unknown, attempts: number): Promise<void>;
  logger: BusLogger;
  /** Names the subscription in log lines. */
  label: string;
}

/** `stopped`: the subscription is closing; what was not committed will be delivered again. */
export type DeliveryResult = 'done' | 'stopped';

type Attempt = { outcome: 'ok' } | { outcome: 'stopped' } | { outcome: 'failed'; error: unknown; attempts: number };

/** The error's own verdict: `retryable: true` / `false`, or undefined when it does not say. */
export function retryableOf(error: unknown): boolean | undefined {
  if (typeof error !== 'object' || error === null || !('retryable' in error)) return undefined;
  return typeof error.retryable === 'boolean' ? error.retryable : undefined;
}

/** Exponential: initial, 2×, 4×, … up to max, with up to 20 % jitter so that replicas do not retry in step. */
export function backoffMs(policy: RetryPolicy, failures: number): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(base * (1 + Math.random() * 0.2));
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const isStopped = (control: DeliveryControl): boolean => control.signal.aborted || (control.stopped?.() ?? false);

async function attempt(
  messages: ReceivedMessage[],
  handler: BatchHandler,
  policy: RetryPolicy,
  control: DeliveryControl,
): Promise<Attempt> {
  for (let n = 1; ; n++) {
    if (isStopped(control)) return { outcome: 'stopped' };
    try {
      await handler(messages);
      return { outcome: 'ok' };
    } catch (error) {
      // A handler that fails because its process is shutting down says nothing about the message.
      if (isStopped(control)) return { outcome: 'stopped' };
      const retryable = retryableOf(error);
      if (retryable === false || (retryable === undefined && n >= Math.max(1, policy.attempts))) {
        return { outcome: 'failed', error, attempts: n };
      }
      const waitMs = backoffMs(policy, n);
      control.logger.warn(`${control.label}: handler failed, retrying in ${waitMs} ms`, {
        attempt: n,
        messages: messages.length,
        partition: messages[0]?.partition,
        offset: messages[0]?.offset,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      await sleep(waitMs, control.signal);
      if (isStopped(control)) return { outcome: 'stopped' };
      await control.heartbeat?.();
    }
  }
}

/**
 * Hands `batch` (messages of one partition, in order) to the handler under the retry policy and commits what is done.
 * A batch that fails for good is retried one message at a time, so one bad message costs only itself: each message
 * that still fails alone is given up (dead-lettered) and the partition goes on.
 */
export async function deliverBatch(
  batch: ReceivedMessage[],
  handler: BatchHandler,
  policy: RetryPolicy,
  control: DeliveryControl,
): Promise<DeliveryResult> {
  if (batch.length === 0) return 'done';
  const whole = await attempt(batch, handler, policy, control);
  if (whole.outcome === 'stopped') return 'stopped';
  if (whole.outcome === 'ok') {
    await control.commit(batch[batch.length - 1]!);
    return 'done';
  }
  if (batch.length === 1) {
    await control.giveUp(batch[0]!, whole.error, whole.attempts);
    await control.commit(batch[0]!);
    return 'done';
  }
  control.logger.warn(`${control.label}: batch of ${batch.length} failed, retrying its messages one by one`, {
    partition: batch[0]!.partition,
    offset: batch[0]!.offset,
  });
  for (const message of batch) {
    const alone = await attempt([message], handler, policy, control);
    if (alone.outcome === 'stopped') return 'stopped';
    if (alone.outcome === 'failed') await control.giveUp(message, alone.error, whole.attempts + alone.attempts);
    await control.commit(message);
  }
  return 'done';
}
