import { setTimeout as sleep } from 'node:timers/promises';
import { StorageUnavailableError } from './storage-errors';

export interface RetryPolicy {
  /** Calls in all, the first included. */
  attempts: number;
  /** Backoff before retry n (1-based) is a random delay up to baseDelayMs × 2^(n-1) ("full jitter"). */
  baseDelayMs: number;
}

export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  return Math.random() * policy.baseDelayMs * 2 ** (retry - 1);
}

/**
 * Calls `operation` until it succeeds, fails with anything but StorageUnavailableError, or has been
 * called policy.attempts times. Full jitter keeps many clients that lost the same server from
 * coming back in step.
 */
export async function retryUnavailable<T>(policy: RetryPolicy, operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError) || attempt >= policy.attempts) throw error;
      await sleep(backoffDelayMs(policy, attempt));
    }
  }
}
