// The contract every EventBus adapter keeps, as one jest suite: run against MemoryEventBus
// (memory-event-bus.spec.ts) and against KafkaEventBus on a real broker (kafka-event-bus.integration-spec.ts).
import { ContractDecodeError, decodeInstanceStored } from '@pacs/contracts';
import { BusPublishError, BusUnavailableError } from './bus-errors';
import { DeadLetterHeader } from './dead-letter';
import { type BusLogger, type EventBus, type ReceivedMessage, type RetryPolicy } from './event-bus';
import { Topic } from './topics';

export interface ContractBuses {
  /**
   * A bus on this test's own topics. Every call in one test reaches the same messages: Kafka gives a new client
   * (another replica) per call, the in-process bus the one bus of the process.
   */
  bus(): EventBus;
}

export interface ContractOptions {
  retry: RetryPolicy;
  logger: BusLogger;
  /** instance.stored gets this many partitions, the other topics 1. */
  partitions: number;
}

export interface OutageHarness {
  /** A bus on a broker of its own, which the test stops and starts. */
  bus(options: ContractOptions): EventBus;
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  dispose(): Promise<void>;
}

export interface ContractSuiteOptions {
  /** Longest wait for a delivery in a test. */
  deliveryTimeoutMs: number;
  /** Only for adapters with a broker that can go away (Kafka). */
  outage?: () => Promise<OutageHarness>;
}

const text = (value: Uint8Array): string => new TextDecoder().decode(value);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, failing the test with `what` after `timeoutMs`. */
export async function eventually(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}

class Gate {
  open!: () => void;
  fail!: (error: Error) => void;
  readonly promise = new Promise<void>((resolve, reject) => {
    this.open = resolve;
    this.fail = reject;
  });
}

/** Collects what a handler was given, and the size of each batch. */
class Recorder {
  readonly messages: ReceivedMessage[] = [];
  readonly batches: ReceivedMessage[][] = [];
  readonly handler = async (batch: ReceivedMessage[]): Promise<void> => {
    this.batches.push(batch);
    this.messages.push(...batch);
  };
  values(): string[] {
    return this.messages.map((m) => text(m.value));
  }
}

export function describeEventBusContract(
  name: string,
  factory: (options: ContractOptions) => ContractBuses | Promise<ContractBuses>,
  suite: ContractSuiteOptions,
): void {
  const retry: RetryPolicy = { attempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 };
  const warnings: string[] = [];
  const logger: BusLogger = {
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
  };
  const options: ContractOptions = { retry, logger, partitions: 3 };
  const timeout = suite.deliveryTimeoutMs;

  describe(`${name} keeps the EventBus contract`, () => {
    let buses: ContractBuses;
    let opened: EventBus[];
    const bus = (): EventBus => {
      const b = buses.bus();
      if (!opened.includes(b)) opened.push(b);
      return b;
    };

    beforeEach(async () => {
      warnings.length = 0;
      opened = [];
      buses = await factory(options);
    });
    afterEach(async () => {
      await Promise.all(opened.map((b) => b.close()));
    });

    it('delivers the messages of each key in the order they were published', async () => {
      const publisher = bus();
      const recorder = new Recorder();
      await bus().subscribe({
        topic: Topic.InstanceStored,
        group: 'order',
        handler: recorder.handler,
        maxBatchSize: 7,
      });
      const keys = ['1.2.3.1', '1.2.3.2', '1.2.3.3', '1.2.3.4', '1.2.3.5'];
      for (let round = 0; round < 4; round++) {
        // Several messages per publish call, keys interleaved.
        await publisher.publish(
          keys.flatMap((key) =>
            [0, 1, 2, 3, 4].map((i) => ({ topic: Topic.InstanceStored, key, value: bytes(`${key}#${round * 5 + i}`) })),
          ),
        );
      }
      await eventually('100 messages', () => recorder.messages.length >= 100, timeout);
      for (const key of keys) {
        const sequence = recorder.messages.filter((m) => m.key === key).map((m) => Number(text(m.value).split('#')[1]));
        expect(sequence).toEqual(Array.from({ length: 20 }, (_, i) => i));
        // One key, one partition.
        expect(new Set(recorder.messages.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
      }
      for (const batch of recorder.batches) {
        expect(batch.length).toBeLessThanOrEqual(7);
        expect(new Set(batch.map((m) => m.partition)).size).toBe(1);
      }
      expect(recorder.messages.every((m) => m.topic === Topic.InstanceStored)).toBe(true);
    });

    it('hands a new group the messages published before it subscribed, in batches of at most maxBatchSize', async () => {
      const key = '1.2.840.99';
      await bus().publish(
        Array.from({ length: 25 }, (_, i) => ({
          topic: Topic.InstanceIndexed,
          key,
          value: bytes(String(i)),
          headers: { 'pacs-event-type': 'pacs.events.v1.InstanceIndexed', n: String(i) },
        })),
      );
      const recorder = new Recorder();
      await bus().subscribe({
        topic: Topic.InstanceIndexed,
        group: 'late',
        handler: recorder.handler,
        maxBatchSize: 10,
      });
      await eventually('25 messages', () => recorder.messages.length >= 25, timeout);
      expect(recorder.values()).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
      expect(Math.max(...recorder.batches.map((b) => b.length))).toBeLessThanOrEqual(10);
      expect(recorder.batches.some((b) => b.length > 1)).toBe(true);
      expect(recorder.messages[3]!.headers).toEqual({ 'pacs-event-type': 'pacs.events.v1.InstanceIndexed', n: '3' });
      expect(recorder.messages[3]!.key).toBe(key);
    });

    it('gives a failed batch to the handler again, and commits it once the handler resolves', async () => {
      const seen: string[] = [];
      const done: string[] = [];
      let failures = 0;
      const first = await bus().subscribe({
        topic: Topic.InstanceStored,
        group: 'commit',
        handler: async (batch) => {
          seen.push(...batch.map((m) => text(m.value)));
          if (batch.some((m) => text(m.value) === 'b') && failures++ === 0) throw new Error('database busy');
          done.push(...batch.map((m) => text(m.value)));
        },
      });
      await bus().publish(['a', 'b', 'c'].map((v) => ({ topic: Topic.InstanceStored, key: 'study', value: bytes(v) })));
      await eventually('c handled', () => done.includes('c'), timeout);
      expect(seen.filter((v) => v === 'b')).toHaveLength(2);
      expect(failures).toBe(2);
      await first.close();

      // The next member of the group starts after the commit: only the new message.
      await bus().publish([{ topic: Topic.InstanceStored, key: 'study', value: bytes('d') }]);
      const next = new Recorder();
      await bus().subscribe({ topic: Topic.InstanceStored, group: 'commit', handler: next.handler });
      await eventually('d handled', () => next.messages.length >= 1, timeout);
      await delay(50);
      expect(next.values()).toEqual(['d']);
    });

    it('gives a batch whose handler had not resolved when its subscriber closed to the next member of the group', async () => {
      const gate = new Gate();
      let started = false;
      const crashing = await bus().subscribe({
        topic: Topic.InstanceStored,
        group: 'handover',
        handler: async () => {
          started = true;
          await gate.promise;
        },
      });
      await bus().publish([{ topic: Topic.InstanceStored, key: 'study', value: bytes('in flight') }]);
      await eventually('the handler to start', () => started, timeout);
      const closed = crashing.close();
      // The process goes down under the handler: its transaction fails.
      gate.fail(new Error('connection terminated'));
      await closed;

      const next = new Recorder();
      await bus().subscribe({ topic: Topic.InstanceStored, group: 'handover', handler: next.handler });
      await eventually('the redelivery', () => next.messages.length >= 1, timeout);
      expect(next.values()).toEqual(['in flight']);
    });

    it('commits a batch whose handler resolves while its subscriber closes', async () => {
      const gate = new Gate();
      let started = false;
      const closing = await bus().subscribe({
        topic: Topic.InstanceStored,
        group: 'drain',
        handler: async () => {
          started = true;
          await gate.promise;
        },
      });
      await bus().publish([{ topic: Topic.InstanceStored, key: 'study', value: bytes('finished') }]);
      await eventually('the handler to start', () => started, timeout);
      const closed = closing.close();
      gate.open();
      await closed;

      await bus().publish([{ topic: Topic.InstanceStored, key: 'study', value: bytes('after') }]);
      const next = new Recorder();
      await bus().subscribe({ topic: Topic.InstanceStored, group: 'drain', handler: next.handler });
      await eventually('the next message', () => next.messages.length >= 1, timeout);
      await delay(50);
      expect(next.values()).toEqual(['after']);
    });

    it('dead-letters a message that keeps failing, with the error in its headers, and goes on with the others', async () => {
      const handled: string[] = [];
      const callsWithPoison: number[] = [];
      await bus().subscribe({
        topic: Topic.InstanceStored,
        group: 'indexer',
        handler: async (batch) => {
          if (batch.some((m) => text(m.value) === 'poison')) {
            callsWithPoison.push(batch.length);
            throw new TypeError('cannot index: PatientName is not a PN');
          }
          handled.push(...batch.map((m) => text(m.value)));
        },
      });
      const letters = new Recorder();
      await bus().subscribe({ topic: Topic.DeadLetter, group: 'dead-letter-reader', handler: letters.handler });
      await bus().publish(
        ['ok-1', 'poison', 'ok-2'].map((v) => ({
          topic: Topic.InstanceStored,
          key: 'study-7',
          value: bytes(v),
          headers: { 'request-id': 'r-1' },
        })),
      );
      await eventually(
        'the dead letter and ok-2',
        () => letters.messages.length >= 1 && handled.includes('ok-2'),
        timeout,
      );
      expect(handled).toEqual(['ok-1', 'ok-2']);
      const [letter] = letters.messages;
      expect(text(letter!.value)).toBe('poison');
      expect(letter!.key).toBe('study-7');
      expect(letter!.headers).toMatchObject({
        'request-id': 'r-1',
        [DeadLetterHeader.Topic]: Topic.InstanceStored,
        [DeadLetterHeader.Group]: 'indexer',
        [DeadLetterHeader.Error]: 'TypeError: cannot index: PatientName is not a PN',
      });
      expect(letter!.headers[DeadLetterHeader.Offset]).toMatch(/^\d+$/);
      expect(Number(letter!.headers[DeadLetterHeader.Attempts])).toBe(callsWithPoison.length);
      // Alone, it was tried `attempts` times before it was given up.
      expect(callsWithPoison.filter((size) => size === 1)).toHaveLength(retry.attempts);
    });

    it('dead-letters an undecodable message without retrying it', async () => {
      const calls: number[] = [];
      await bus().subscribe({
        topic: Topic.InstanceStored,
        group: 'decoder',
        handler: async (batch) => {
          calls.push(batch.length);
          for (const m of batch) decodeInstanceStored(m.value, m.headers);
        },
      });
      const letters = new Recorder();
      await bus().subscribe({ topic: Topic.DeadLetter, group: 'dead-letter-reader', handler: letters.handler });
      await bus().publish([{ topic: Topic.InstanceStored, key: 's', value: Uint8Array.of(0x12, 0x64, 0x31) }]);
      await eventually('the dead letter', () => letters.messages.length >= 1, timeout);
      expect(calls).toEqual([1]);
      expect(letters.messages[0]!.headers[DeadLetterHeader.Error]).toMatch(/^ContractDecodeError: /);
      expect(letters.messages[0]!.headers[DeadLetterHeader.Attempts]).toBe('1');
      expect(new ContractDecodeError('x', 'y').retryable).toBe(false);
    });

    it('retries an error marked retryable for as long as it lasts, without dead-lettering', async () => {
      let calls = 0;
      const handled: string[] = [];
      await bus().subscribe({
        topic: Topic.PatientUpdated,
        group: 'patients',
        handler: async (batch) => {
          if (++calls <= retry.attempts + 2)
            throw Object.assign(new Error('database unavailable'), { retryable: true });
          handled.push(...batch.map((m) => text(m.value)));
        },
      });
      const letters = new Recorder();
      await bus().subscribe({ topic: Topic.DeadLetter, group: 'dead-letter-reader', handler: letters.handler });
      await bus().publish([{ topic: Topic.PatientUpdated, key: 'HOSP|42', value: bytes('A08') }]);
      await eventually('the update', () => handled.length >= 1, timeout);
      expect(handled).toEqual(['A08']);
      expect(calls).toBe(retry.attempts + 3);
      await delay(50);
      expect(letters.messages).toHaveLength(0);
    });

    it('broadcasts every message published afterwards to every subscriber', async () => {
      const publisher = bus();
      await publisher.publish([{ topic: Topic.InstanceIndexed, key: 'x', value: bytes('before') }]);
      const replicaA = new Recorder();
      const replicaB = new Recorder();
      await bus().broadcast({ topic: Topic.InstanceIndexed, handler: replicaA.handler });
      await bus().broadcast({ topic: Topic.InstanceIndexed, handler: replicaB.handler });
      const values = Array.from({ length: 10 }, (_, i) => `indexed-${i}`);
      for (const value of values) {
        await publisher.publish([{ topic: Topic.InstanceIndexed, key: 'study-1', value: bytes(value) }]);
      }
      await eventually(
        'both replicas',
        () => replicaA.messages.length >= 10 && replicaB.messages.length >= 10,
        timeout,
      );
      await delay(50);
      expect(replicaA.values()).toEqual(values);
      expect(replicaB.values()).toEqual(values);
    });

    it('lets the members of a group share the partitions', async () => {
      const a = new Recorder();
      const b = new Recorder();
      await bus().subscribe({ topic: Topic.InstanceStored, group: 'shared', handler: a.handler });
      await bus().subscribe({ topic: Topic.InstanceStored, group: 'shared', handler: b.handler });
      const values = Array.from({ length: 30 }, (_, i) => `m${i}`);
      await bus().publish(values.map((v, i) => ({ topic: Topic.InstanceStored, key: `study-${i}`, value: bytes(v) })));
      await eventually('every message', () => new Set([...a.values(), ...b.values()]).size >= 30, timeout);
      expect([...new Set([...a.values(), ...b.values()])].sort()).toEqual([...values].sort());
      // Thirty keys cover the three partitions, so each member got some.
      expect(new Set([...a.messages, ...b.messages].map((m) => m.partition)).size).toBe(options.partitions);
      expect(a.messages.length).toBeGreaterThan(0);
      expect(b.messages.length).toBeGreaterThan(0);
    });

    it('refuses an unknown topic and, once closed, publishes nothing', async () => {
      const b = bus();
      await expect(
        b.publish([{ topic: 'no.such.topic' as Topic, key: 'k', value: bytes('x') }]),
      ).rejects.toBeInstanceOf(BusPublishError);
      await b.close();
      const error = await b.publish([{ topic: Topic.InstanceStored, key: 'k', value: bytes('x') }]).catch((e) => e);
      expect(error).toBeInstanceOf(BusUnavailableError);
      expect(error.retryable).toBe(true);
    });

    if (suite.outage) {
      const makeOutage = suite.outage;
      it('rejects publish with BusUnavailableError within a bounded time while the broker is down, and recovers', async () => {
        const outage = await makeOutage();
        const b = outage.bus(options);
        const other = outage.bus(options);
        try {
          const grouped = new Recorder();
          const broadcast = new Recorder();
          await b.subscribe({ topic: Topic.InstanceStored, group: 'outage', handler: grouped.handler });
          await other.broadcast({ topic: Topic.InstanceStored, handler: broadcast.handler });
          await b.publish([{ topic: Topic.InstanceStored, key: 's', value: bytes('before') }]);
          await eventually('before', () => grouped.messages.length >= 1 && broadcast.messages.length >= 1, timeout);

          await outage.stopBroker();
          const started = Date.now();
          const error = await b
            .publish([{ topic: Topic.InstanceStored, key: 's', value: bytes('lost?') }])
            .catch((e) => e);
          const elapsed = Date.now() - started;
          expect(error).toBeInstanceOf(BusUnavailableError);
          expect(elapsed).toBeLessThan(10_000);

          const restarting = Date.now();
          await outage.startBroker();
          const restarted = Date.now();
          // The clients reconnect by themselves; the first publish may still meet a broker that is starting.
          const deadline = Date.now() + 60_000;
          for (;;) {
            try {
              await b.publish([{ topic: Topic.InstanceStored, key: 's', value: bytes('after') }]);
              break;
            } catch (e) {
              if (!(e instanceof BusUnavailableError) || Date.now() > deadline) throw e;
            }
          }
          // On a timeout, what the clients said (reconnects, crashes) is the only clue: it goes with the failure.
          const explained = (e: Error) => {
            throw new Error(`${e.message}; bus warnings, latest last: ${warnings.slice(-25).join(' | ')}`);
          };
          await eventually('after, by the group member', () => grouped.values().includes('after'), 60_000).catch(
            explained,
          );
          await eventually(
            'after, by the broadcast subscriber',
            () => broadcast.values().includes('after'),
            60_000,
          ).catch(explained);
          const recovered = Date.now();
          expect(grouped.values()[0]).toBe('before');
          console.log(
            `${name} outage: publish failed after ${elapsed} ms; broker restart took ${restarted - restarting} ms; ` +
              `publish and delivery worked ${recovered - restarted} ms after it was up again`,
          );
        } finally {
          await Promise.all([b.close(), other.close()]);
          await outage.dispose();
        }
      }, 180_000);
    }
  });
}
