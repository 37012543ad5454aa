// The in-process bus of the embedded all-in-one process: the same contract as KafkaEventBus (see event-bus.ts and
// describeEventBusContract), kept in memory.
//
// Semantics, chosen to match Kafka so that features behave the same in both deployments:
// - publish() appends to the topic's log and resolves at once; handlers run later, never inside publish(). It does
//   not wait for them: a handler that publishes (the index answering instance.stored with instance.indexed) would
//   otherwise wait on itself. Read-your-writes comes, as with Kafka, from waiting for the answer event (STOW-RS
//   waits for its instance.indexed through broadcast()).
// - "Durable" means "in this process": a crash loses what was not handled yet. Nothing is lost that a client was
//   told is stored, because STOW-RS answers only after the index committed.
// - Each topic has partitions (1 by default: one total order per topic); a key always maps to one partition, and a
//   group handles one batch of a partition at a time, so per-key order holds. Members of one group share the
//   partitions (partition p goes to member p mod n), and a member that closes hands its partitions over after its
//   running batch, like a Kafka rebalance.
// - Retries and dead letters follow the same RetryPolicy code as Kafka (deliver-batch.ts).
// - Retention: a partition keeps what some known group has not committed yet. A topic no group has subscribed to yet
//   (and the dead-letter topic, unless someone subscribes) keeps its last `maxRetained` messages per partition.
import { BusPublishError, BusUnavailableError } from './bus-errors';
import { DeadLetterHeader, deadLetterOf } from './dead-letter';
import { deliverBatch } from './deliver-batch';
import {
  type BatchHandler,
  type BroadcastOptions,
  type BusLogger,
  type BusMessage,
  type EventBus,
  type ReceivedMessage,
  type RetryPolicy,
  type SubscribeOptions,
  type Subscription,
  consoleBusLogger,
  defaultRetryPolicy,
} from './event-bus';
import { type Topic, topics } from './topics';

export interface MemoryEventBusOptions {
  /** Partitions per topic; default 1. */
  partitions?: Partial<Record<Topic, number>>;
  retry?: Partial<RetryPolicy>;
  logger?: BusLogger;
  /** Messages kept per partition of a topic no group has subscribed to (and of the dead-letter topic); default 10 000. */
  maxRetained?: number;
}

interface StoredMessage {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

class PartitionLog {
  /** Offset of messages[0]. */
  base = 0;
  messages: StoredMessage[] = [];
  get end(): number {
    return this.base + this.messages.length;
  }
  /** Drops the messages before `offset`. */
  trimTo(offset: number): void {
    const to = Math.min(offset, this.end);
    if (to <= this.base) return;
    this.messages.splice(0, to - this.base);
    this.base = to;
  }
}

class Consumer {
  readonly abort = new AbortController();
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  constructor(
    readonly handler: BatchHandler,
    readonly maxBatchSize: number,
  ) {}
  get closing(): boolean {
    return this.abort.signal.aborted;
  }
  enter(): void {
    this.inFlight++;
  }
  leave(): void {
    if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
  whenIdle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

interface Group {
  name: string;
  topic: Topic;
  /** Next offset to handle, per partition. */
  committed: number[];
  members: Consumer[];
  pumping: boolean[];
}

interface Broadcaster {
  consumer: Consumer;
  topic: Topic;
  /** Next offset to handle, per partition. */
  positions: number[];
  pumping: boolean[];
}

/** FNV-1a: a stable key → partition map (the partition count is fixed for the life of the bus). */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % partitions;
}

export class MemoryEventBus implements EventBus {
  private readonly logs = new Map<Topic, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly broadcasters = new Set<Broadcaster>();
  private readonly policy: RetryPolicy;
  private readonly logger: BusLogger;
  private readonly maxRetained: number;
  private closed = false;
  private running = 0;

  constructor(options: MemoryEventBusOptions = {}) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.logger = options.logger ?? consoleBusLogger;
    this.maxRetained = options.maxRetained ?? 10_000;
    for (const topic of topics) {
      const count = Math.max(1, options.partitions?.[topic] ?? 1);
      this.logs.set(
        topic,
        Array.from({ length: count }, () => new PartitionLog()),
      );
    }
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (this.closed) throw new BusUnavailableError('the event bus is closed');
    for (const message of messages) this.partitionsOf(message.topic);
    const touched = new Map<Topic, Set<number>>();
    for (const message of messages) {
      const partition = this.append(message);
      const set = touched.get(message.topic) ?? new Set<number>();
      touched.set(message.topic, set.add(partition));
    }
    // Handlers run after publish() has returned, never inside it.
    setImmediate(() => {
      for (const [topic, partitions] of touched) for (const p of partitions) this.kick(topic, p);
    });
  }

  async subscribe({ topic, group: name, handler, maxBatchSize = 100 }: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusUnavailableError('the event bus is closed');
    const logs = this.partitionsOf(topic);
    const id = `${topic}\u0000${name}`;
    let group = this.groups.get(id);
    if (!group) {
      // A new group starts at the oldest retained message, as a Kafka group with no committed offsets.
      group = {
        name,
        topic,
        committed: logs.map((log) => log.base),
        members: [],
        pumping: logs.map(() => false),
      };
      this.groups.set(id, group);
    }
    const consumer = new Consumer(handler, Math.max(1, maxBatchSize));
    group.members.push(consumer);
    const joined = group;
    setImmediate(() => logs.forEach((_, p) => this.pumpGroup(joined, p)));
    return {
      close: async () => {
        if (consumer.closing) return consumer.whenIdle();
        consumer.abort.abort();
        await consumer.whenIdle();
        joined.members = joined.members.filter((m) => m !== consumer);
        // The partitions go to the remaining members, from the group's last commit.
        logs.forEach((_, p) => this.pumpGroup(joined, p));
      },
    };
  }

  async broadcast({ topic, handler, maxBatchSize = 100 }: BroadcastOptions): Promise<Subscription> {
    if (this.closed) throw new BusUnavailableError('the event bus is closed');
    const logs = this.partitionsOf(topic);
    const broadcaster: Broadcaster = {
      consumer: new Consumer(handler, Math.max(1, maxBatchSize)),
      topic,
      positions: logs.map((log) => log.end),
      pumping: logs.map(() => false),
    };
    this.broadcasters.add(broadcaster);
    return {
      close: async () => {
        broadcaster.consumer.abort.abort();
        await broadcaster.consumer.whenIdle();
        this.broadcasters.delete(broadcaster);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const consumers = [
      ...[...this.groups.values()].flatMap((g) => g.members),
      ...[...this.broadcasters].map((b) => b.consumer),
    ];
    for (const consumer of consumers) consumer.abort.abort();
    await Promise.all(consumers.map((c) => c.whenIdle()));
    this.broadcasters.clear();
    for (const group of this.groups.values()) group.members = [];
  }

  /**
   * Resolves once every subscriber has handled everything published so far (retries included). For tests and for
   * an orderly shutdown of the embedded process.
   */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (this.running === 0 && !this.hasBacklog()) return;
    }
  }

  private hasBacklog(): boolean {
    for (const group of this.groups.values()) {
      if (!group.members.some((m) => !m.closing)) continue;
      const logs = this.partitionsOf(group.topic);
      if (logs.some((log, p) => group.committed[p]! < log.end)) return true;
    }
    for (const b of this.broadcasters) {
      if (b.consumer.closing) continue;
      if (this.partitionsOf(b.topic).some((log, p) => b.positions[p]! < log.end)) return true;
    }
    return false;
  }

  private partitionsOf(topic: Topic): PartitionLog[] {
    const logs = this.logs.get(topic);
    if (!logs) throw new BusPublishError(`unknown topic "${String(topic)}"`);
    return logs;
  }

  private append(message: BusMessage): number {
    const logs = this.partitionsOf(message.topic);
    const partition = partitionOf(message.key, logs.length);
    // Copied: the publisher may reuse its buffer, and Kafka would not see later changes either.
    logs[partition]!.messages.push({
      key: message.key,
      value: Uint8Array.prototype.slice.call(message.value),
      headers: { ...message.headers },
    });
    this.trim(message.topic, partition);
    return partition;
  }

  private kick(topic: Topic, partition: number): void {
    for (const group of this.groups.values()) if (group.topic === topic) this.pumpGroup(group, partition);
    for (const b of this.broadcasters) if (b.topic === topic) this.pumpBroadcast(b, partition);
  }

  private received(topic: Topic, partition: number, from: number, count: number): ReceivedMessage[] {
    const log = this.partitionsOf(topic)[partition]!;
    return log.messages.slice(from - log.base, from - log.base + count).map((m, i) => ({
      topic,
      key: m.key,
      value: m.value,
      headers: { ...m.headers },
      partition,
      offset: String(from + i),
    }));
  }

  /** Partition p of a group goes to member p mod n among those not closing. */
  private ownerOf(group: Group, partition: number): Consumer | undefined {
    const live = group.members.filter((m) => !m.closing);
    return live.length === 0 ? undefined : live[partition % live.length];
  }

  private async pumpGroup(group: Group, partition: number): Promise<void> {
    if (group.pumping[partition] || this.closed) return;
    group.pumping[partition] = true;
    this.running++;
    try {
      for (;;) {
        const owner = this.ownerOf(group, partition);
        const log = this.partitionsOf(group.topic)[partition]!;
        const from = Math.max(group.committed[partition]!, log.base);
        if (!owner || from >= log.end) break;
        const batch = this.received(group.topic, partition, from, owner.maxBatchSize);
        owner.enter();
        try {
          await deliverBatch(batch, owner.handler, this.policy, {
            signal: owner.abort.signal,
            logger: this.logger,
            label: `${group.topic} (group ${group.name})`,
            commit: async (last) => {
              group.committed[partition] = Number(last.offset) + 1;
            },
            giveUp: async (message, error, attempts) => {
              const letter = deadLetterOf(message, group.name, error, attempts);
              this.logger.error(`${group.topic} (group ${group.name}): message dead-lettered`, {
                partition: message.partition,
                offset: message.offset,
                key: message.key,
                attempts,
                error: letter.headers[DeadLetterHeader.Error],
              });
              const p = this.append(letter);
              setImmediate(() => this.kick(letter.topic, p));
            },
          });
        } finally {
          owner.leave();
        }
        this.trim(group.topic, partition);
      }
    } catch (error) {
      this.logger.error(`${group.topic} (group ${group.name}): delivery stopped`, { error: String(error) });
    } finally {
      group.pumping[partition] = false;
      this.running--;
    }
  }

  private async pumpBroadcast(b: Broadcaster, partition: number): Promise<void> {
    if (b.pumping[partition] || b.consumer.closing) return;
    b.pumping[partition] = true;
    this.running++;
    b.consumer.enter();
    try {
      for (;;) {
        const log = this.partitionsOf(b.topic)[partition]!;
        const from = Math.max(b.positions[partition]!, log.base);
        if (b.consumer.closing || from >= log.end) break;
        const batch = this.received(b.topic, partition, from, b.consumer.maxBatchSize);
        await deliverBatch(batch, b.consumer.handler, this.policy, {
          signal: b.consumer.abort.signal,
          logger: this.logger,
          label: `${b.topic} (broadcast)`,
          commit: async (last) => {
            b.positions[partition] = Number(last.offset) + 1;
          },
          giveUp: async (message, error, attempts) => {
            this.logger.error(`${b.topic} (broadcast): handler failed for good, message skipped`, {
              partition: message.partition,
              offset: message.offset,
              key: message.key,
              attempts,
              error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
            });
          },
        });
        this.trim(b.topic, partition);
      }
    } catch (error) {
      this.logger.error(`${b.topic} (broadcast): delivery stopped`, { error: String(error) });
    } finally {
      b.consumer.leave();
      b.pumping[partition] = false;
      this.running--;
    }
  }

  private trim(topic: Topic, partition: number): void {
    const log = this.partitionsOf(topic)[partition]!;
    const positions: number[] = [];
    for (const group of this.groups.values()) if (group.topic === topic) positions.push(group.committed[partition]!);
    for (const b of this.broadcasters) if (b.topic === topic) positions.push(b.positions[partition]!);
    log.trimTo(positions.length > 0 ? Math.min(...positions) : log.end - this.maxRetained);
  }
}
