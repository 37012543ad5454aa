import { backoffMs, deliverBatch, retryableOf, type DeliveryControl } from './deliver-batch';
import { silentBusLogger, type ReceivedMessage } from './event-bus';
import { Topic } from './topics';

const message = (offset: number): ReceivedMessage => ({
  topic: Topic.InstanceStored,
  key: 'study',
  value: Uint8Array.of(offset),
  headers: {},
  partition: 0,
  offset: String(offset),
});

function control(abort = new AbortController()) {
  const committed: string[] = [];
  const givenUp: { offset: string; attempts: number }[] = [];
  const hooks: DeliveryControl = {
    signal: abort.signal,
    logger: silentBusLogger,
    label: 'test',
    commit: async (last) => void committed.push(last.offset),
    giveUp: async (m, _error, attempts) => void givenUp.push({ offset: m.offset, attempts }),
  };
  return { hooks, committed, givenUp, abort };
}

describe('deliverBatch', () => {
  const policy = { attempts: 2, initialBackoffMs: 1, maxBackoffMs: 1 };

  it('commits the last message of a batch the handler took', async () => {
    const c = control();
    expect(await deliverBatch([message(4), message(5)], async () => {}, policy, c.hooks)).toBe('done');
    expect(c.committed).toEqual(['5']);
  });

  it('gives up only the message that fails alone, and commits past it', async () => {
    const c = control();
    const result = await deliverBatch(
      [message(1), message(2), message(3)],
      async (batch) => {
        if (batch.some((m) => m.offset === '2')) throw new Error('bad');
      },
      policy,
      c.hooks,
    );
    expect(result).toBe('done');
    expect(c.givenUp).toEqual([{ offset: '2', attempts: 4 }]);
    expect(c.committed).toEqual(['1', '2', '3']);
  });

  it('stops at once when the subscription closes during a backoff, committing nothing', async () => {
    const c = control();
    const started = Date.now();
    const pending = deliverBatch(
      [message(1)],
      async () => {
        throw Object.assign(new Error('database down'), { retryable: true });
      },
      { attempts: 3, initialBackoffMs: 10_000, maxBackoffMs: 10_000 },
      c.hooks,
    );
    setTimeout(() => c.abort.abort(), 20);
    expect(await pending).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(c.committed).toEqual([]);
    expect(c.givenUp).toEqual([]);
  });

  it('does not give up a message whose handler failed because the subscription was closing', async () => {
    const c = control();
    const result = await deliverBatch(
      [message(1)],
      async () => {
        c.abort.abort();
        throw new Error('pool is closed');
      },
      policy,
      c.hooks,
    );
    expect(result).toBe('stopped');
    expect(c.givenUp).toEqual([]);
  });
});

describe('retry helpers', () => {
  it('reads the retryable verdict of an error, if it gives one', () => {
    expect(retryableOf(Object.assign(new Error(), { retryable: true }))).toBe(true);
    expect(retryableOf(Object.assign(new Error(), { retryable: false }))).toBe(false);
    expect(retryableOf(new Error())).toBeUndefined();
    expect(retryableOf('text')).toBeUndefined();
  });

  it('doubles the backoff up to its maximum, with at most 20 % jitter', () => {
    const policy = { attempts: 5, initialBackoffMs: 100, maxBackoffMs: 1_000 };
    for (const [failures, base] of [
      [1, 100],
      [2, 200],
      [4, 800],
      [5, 1_000],
      [60, 1_000],
    ] as const) {
      const ms = backoffMs(policy, failures);
      expect(ms).toBeGreaterThanOrEqual(base);
      expect(ms).toBeLessThanOrEqual(base * 1.2);
    }
  });
});
