// EventBus on Apache Kafka through kafkajs 2.2.4. kafkajs has had no release since 2023 but works with Kafka 4.x
// (ENVIRONMENT.md); it is confined to this file, so @platformatic/kafka can replace it behind the same interface
// and the same contract suite (event-bus.contract.ts).
import { randomUUID } from 'node:crypto';
import {
  Kafka,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
  type SASLOptions,
  Partitioners,
  logLevel,
} from 'kafkajs';
import { BusPublishError, BusUnavailableError } from './bus-errors';
import { DeadLetterHeader, deadLetterOf, describeError } from './dead-letter';
import { type DeliveryControl, deliverBatch } from './deliver-batch';
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
import { type Topic, topicName, topicPartitions, topics } from './topics';

export interface KafkaEventBusOptions {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  /** Client id prefix, seen in broker logs and quotas. */
  clientId: string;
  /** Put before every topic and consumer group name (several installs can share a cluster). */
  topicPrefix: string;
  /** Partitions of the topics this bus creates when they are missing; default `topicPartitions`. */
  partitions?: Partial<Record<Topic, number>>;
  /** Replicas of the topics this bus creates; default 1 (a single broker). Use 3 on a production cluster. */
  replicationFactor?: number;
  retry?: Partial<RetryPolicy>;
  logger?: BusLogger;
  /**
   * Longest time the broker holds a fetch that has no new message. It bounds the latency of an idle consumer:
   * 10 ms gives a publish → handler p50 of a few ms on loopback (ENVIRONMENT.md), at the price of ~100 fetches a
   * second per idle consumer. Default 10.
   */
  maxWaitTimeMs?: number;
  /** publish() rejects with BusUnavailableError after this long without the broker's acknowledgement; default 5000. */
  publishTimeoutMs?: number;
  /** TCP connect timeout; default 1000. */
  connectionTimeoutMs?: number;
  /** A group member that sends no heartbeat for this long is considered dead (broker bounds: 6 s – 5 min); default 30 000. */
  sessionTimeoutMs?: number;
  /** Default 3000; a new member joins a group within about one interval of the others. */
  heartbeatIntervalMs?: number;
  /** Partitions one subscription handles at the same time; default 1. */
  concurrency?: number;
  tls?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/** One consumer: a group subscription or a broadcast. */
interface ConsumeSpec {
  topic: Topic;
  groupId: string;
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  maxBatchSize: number;
  handler: BatchHandler;
  label: string;
  commit(payload: EachBatchPayload, last: ReceivedMessage): Promise<void>;
  giveUp: DeliveryControl['giveUp'];
  /** After every (re)join of the group, before the first fetch. */
  onJoin?(consumer: Consumer): void;
}

/** A consumer kafkajs gave up on is replaced after 1 s, then 2 s, 4 s… at most 30 s apart. */
const reviveInitialDelayMs = 1_000;
const reviveMaxDelayMs = 30_000;

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

function headersOf(raw: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return out;
}

/** The broker refused these messages for good (e.g. too large); everything else means "not reachable now". */
function toBusError(error: unknown, doing: string): Error {
  if (error instanceof BusUnavailableError || error instanceof BusPublishError) return error;
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    if (cause.name === 'KafkaJSProtocolError' && (cause as { retriable?: boolean }).retriable === false) {
      return new BusPublishError(`Kafka refused to ${doing}: ${cause.message}`, { cause: error });
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return new BusUnavailableError(`Kafka is unavailable (${doing}): ${describeError(error)}`, { cause: error });
}

async function withTimeout<T>(work: Promise<T>, ms: number, doing: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BusUnavailableError(`Kafka did not answer within ${ms} ms (${doing})`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly policy: RetryPolicy;
  private readonly logger: BusLogger;
  private readonly prefix: string;
  private readonly publishTimeoutMs: number;
  private readonly subscriptions = new Set<Subscription>();
  private started?: Promise<void>;
  private producer?: Promise<Producer>;
  private closed = false;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.logger = options.logger ?? consoleBusLogger;
    this.prefix = options.topicPrefix;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    const logger = this.logger;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      ssl: options.tls,
      sasl: options.sasl as SASLOptions | undefined,
      // Retries of one request (connection refused, coordinator loading, leader moving): 100 ms doubling to 1 s.
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1_000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, namespace, log }) => {
          const { message, ...details } = log;
          // We bound the producer's retries on purpose (publishTimeoutMs), and replace it after a failure.
          if (message.startsWith('Limiting retries for the idempotent producer')) return;
          const write = level === logLevel.ERROR ? logger.error : logger.warn;
          write(`kafka ${namespace}: ${message}`, details);
        },
    });
  }

  async publish(messages: BusMessage[]): Promise<void> {
    if (this.closed) throw new BusUnavailableError('the event bus is closed');
    if (messages.length === 0) return;
    const byTopic = new Map<Topic, { key: string; value: Buffer; headers?: Record<string, string> }[]>();
    for (const message of messages) {
      if (!topics.includes(message.topic)) throw new BusPublishError(`unknown topic "${String(message.topic)}"`);
      const list = byTopic.get(message.topic) ?? [];
      list.push({
        key: message.key,
        value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
        headers: message.headers,
      });
      byTopic.set(message.topic, list);
    }
    const topicMessages = [...byTopic].map(([topic, list]) => ({
      topic: topicName(this.prefix, topic),
      messages: list,
    }));
    const send = async (): Promise<void> => {
      await this.start();
      const producer = await this.connectedProducer();
      await producer.sendBatch({ topicMessages, acks: -1, timeout: this.publishTimeoutMs });
    };
    try {
      await withTimeout(send(), this.publishTimeoutMs, 'publish');
    } catch (error) {
      // A producer that failed may hold half-sent requests and stale idempotence state: start over with a new one.
      this.dropProducer();
      throw toBusError(error, 'publish');
    }
  }

  async subscribe({ topic, group, handler, maxBatchSize = 100 }: SubscribeOptions): Promise<Subscription> {
    const name = topicName(this.prefix, topic);
    return this.consume({
      topic,
      groupId: `${this.prefix}${group}`,
      fromBeginning: true,
      maxBatchSize,
      handler,
      label: `${topic} (group ${group})`,
      commit: async (payload, last) => {
        payload.resolveOffset(last.offset);
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic: name, partitions: [{ partition: last.partition, offset: nextOffset(last.offset) }] }],
        });
      },
      giveUp: async (message, error, attempts) => {
        const letter = deadLetterOf(message, group, error, attempts);
        this.logger.error(`${topic} (group ${group}): message dead-lettered`, {
          partition: message.partition,
          offset: message.offset,
          key: message.key,
          attempts,
          error: letter.headers[DeadLetterHeader.Error],
        });
        await this.publish([letter]);
      },
    });
  }

  async broadcast({ topic, handler, maxBatchSize = 100 }: BroadcastOptions): Promise<Subscription> {
    if (this.closed) throw new BusUnavailableError('the event bus is closed');
    const name = topicName(this.prefix, topic);
    // "From now on" is the end of each partition now, not whenever the group's first join completes. The positions
    // follow delivery and are sought again at every join (the client rejoins after a broker outage).
    const positions = new Map<number, string>();
    const admin = this.kafka.admin();
    try {
      await withTimeout(this.start(), this.publishTimeoutMs, 'broadcast');
      await withTimeout(admin.connect(), this.publishTimeoutMs, 'broadcast');
      // A topic created a moment ago may have no leader yet ("not the leader for some partition"): ask again.
      let ends: { partition: number; high: string }[] | undefined;
      for (let attempt = 1; !ends; attempt++) {
        try {
          ends = await withTimeout(admin.fetchTopicOffsets(name), this.publishTimeoutMs, 'broadcast');
        } catch (error) {
          if (attempt >= 10 || (error as { retriable?: boolean }).retriable === false) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
        }
      }
      for (const { partition, high } of ends) positions.set(partition, high);
    } catch (error) {
      throw toBusError(error, 'broadcast');
    } finally {
      await admin.disconnect().catch(() => {});
    }
    return this.consume({
      topic,
      // A group of one that never commits: it lives as long as this subscription, and Kafka forgets it after.
      groupId: `${this.prefix}broadcast.${this.options.clientId}.${randomUUID()}`,
      fromBeginning: false,
      maxBatchSize,
      handler,
      label: `${topic} (broadcast)`,
      commit: async (payload, last) => {
        payload.resolveOffset(last.offset);
        positions.set(last.partition, nextOffset(last.offset));
      },
      giveUp: async (message, error, attempts) => {
        this.logger.error(`${topic} (broadcast): handler failed for good, message skipped`, {
          partition: message.partition,
          offset: message.offset,
          key: message.key,
          attempts,
          error: describeError(error),
        });
      },
      onJoin: (consumer) => {
        for (const [partition, offset] of positions) consumer.seek({ topic: name, partition, offset });
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const producer = this.producer;
    this.producer = undefined;
    await producer?.then((p) => p.disconnect()).catch(() => {});
  }

  /** Creates the missing topics (once per bus; again after a failure). */
  private start(): Promise<void> {
    this.started ??= this.createTopics().catch((error: unknown) => {
      this.started = undefined;
      throw toBusError(error, 'create topics');
    });
    return this.started;
  }

  private async createTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const wanted = topics.map((topic) => ({
        topic: topicName(this.prefix, topic),
        numPartitions: this.options.partitions?.[topic] ?? topicPartitions[topic],
        replicationFactor: this.options.replicationFactor ?? 1,
      }));
      const existing = new Set(await admin.listTopics());
      const missing = wanted.filter(({ topic }) => !existing.has(topic));
      // Another replica may create them at the same moment: kafkajs answers false when all "already exist".
      if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: false });
      // A topic just created (here or by another replica) has no leader for a moment, and a broker that has just
      // started may not know it yet: wait until every partition has one, so that the first publish finds them.
      const deadline = Date.now() + this.publishTimeoutMs;
      for (;;) {
        try {
          const metadata = await admin.fetchTopicMetadata({ topics: wanted.map(({ topic }) => topic) });
          if (metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) {
            for (const t of metadata.topics) {
              const want = wanted.find(({ topic }) => topic === t.name)?.numPartitions ?? 0;
              // Not changed here: adding partitions moves keys, which breaks their order for messages in flight.
              if (t.partitions.length < want) {
                this.logger.warn(
                  `topic ${t.name} has ${t.partitions.length} partitions, fewer than the ${want} configured`,
                );
              }
            }
            return;
          }
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        if (Date.now() > deadline) throw new BusUnavailableError('the topics have no leader yet');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        // Exactly one copy per successful send even when a request is retried; needs acks=all, one request in flight.
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Java's murmur2 partitioner: a key lands where Java clients would put it too.
        createPartitioner: Partitioners.DefaultPartitioner,
        // Bounded so that a publish fails within publishTimeoutMs (the default for idempotence is "forever").
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      await producer.connect();
      return producer;
    })();
    const pending = this.producer;
    pending.catch(() => {
      if (this.producer === pending) this.producer = undefined;
    });
    return pending;
  }

  private dropProducer(): void {
    const producer = this.producer;
    this.producer = undefined;
    producer?.then((p) => p.disconnect()).catch(() => {});
  }

  private async consume(spec: ConsumeSpec): Promise<Subscription> {
    if (this.closed) throw new BusUnavailableError('the event bus is closed');
    const abort = new AbortController();
    let current: Consumer | undefined;
    let closing: Promise<void> | undefined;
    let revival: NodeJS.Timeout | undefined;
    // kafkajs restarts a consumer by itself after a retriable error only; after any other (a group
    // coordinator that answers oddly while a broker restarts, say) it leaves it disconnected for good, and
    // the subscriber would never get another message. Such a consumer is replaced, with a growing delay,
    // for as long as the subscription is open.
    const revive = (attempt: number): void => {
      if (closing || this.closed) return;
      const delayMs = Math.min(reviveMaxDelayMs, reviveInitialDelayMs * 2 ** attempt);
      revival = setTimeout(() => {
        revival = undefined;
        if (closing || this.closed) return;
        this.startConsumer(spec, abort.signal, () => revive(0)).then(
          (consumer) => {
            if (closing || this.closed) void consumer.disconnect().catch(() => {});
            else current = consumer;
          },
          (error: unknown) => {
            this.logger.warn(`kafka consumer ${spec.groupId} could not be started again, retrying`, {
              error: describeError(error),
            });
            revive(attempt + 1);
          },
        );
      }, delayMs);
      revival.unref?.();
    };
    current = await this.startConsumer(spec, abort.signal, () => revive(0));
    const subscription: Subscription = {
      close: () =>
        (closing ??= (async () => {
          abort.abort();
          if (revival) clearTimeout(revival);
          // Waits for the running batch (committed if its handler resolved), then leaves the group.
          await current?.disconnect().catch(() => {});
          this.subscriptions.delete(subscription);
        })()),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** A consumer of `spec` that runs; `onDead` when kafkajs stops it for good (a crash it does not restart). */
  private async startConsumer(spec: ConsumeSpec, signal: AbortSignal, onDead: () => void): Promise<Consumer> {
    const { topic, groupId, maxBatchSize, handler, label } = spec;
    const name = topicName(this.prefix, topic);
    const consumer = this.kafka.consumer({
      groupId,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 10,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
      // Each request retried 100 ms doubling to 2 s; when they run out the client restarts the consumer, which
      // rejoins the group and goes on from the last commit. After a broker outage the rejoin waits until the
      // broker has expired the old membership (at most sessionTimeoutMs).
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.warn(`kafka consumer ${groupId} crashed${payload.restart ? ', restarting' : ', replacing it'}`, {
        error: describeError(payload.error),
      });
      if (!payload.restart) onDead();
    });
    const { onJoin } = spec;
    if (onJoin) consumer.on(consumer.events.GROUP_JOIN, () => onJoin(consumer));
    try {
      await withTimeout(this.start(), this.publishTimeoutMs, 'subscribe');
      await withTimeout(consumer.connect(), this.publishTimeoutMs, 'subscribe');
      await consumer.subscribe({ topics: [name], fromBeginning: spec.fromBeginning });
      await consumer.run({
        // Offsets are committed by `spec.commit`, after the handler, never by the client on its own.
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.concurrency ?? 1,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const received = batch.messages.map((m) => this.received(topic, batch.partition, m));
          for (let i = 0; i < received.length; i += maxBatchSize) {
            const result = await deliverBatch(received.slice(i, i + maxBatchSize), handler, this.policy, {
              signal,
              stopped: () => !payload.isRunning() || payload.isStale(),
              heartbeat: () => payload.heartbeat(),
              commit: (last) => spec.commit(payload, last),
              giveUp: spec.giveUp,
              logger: this.logger,
              label,
            });
            if (result === 'stopped') return;
            await payload.heartbeat();
          }
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw toBusError(error, 'subscribe');
    }
    return consumer;
  }

  private received(topic: Topic, partition: number, message: KafkaMessage): ReceivedMessage {
    const value = message.value ?? Buffer.alloc(0);
    return {
      topic,
      key: message.key?.toString('utf8') ?? '',
      value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
      headers: headersOf(message.headers),
      partition,
      offset: message.offset,
    };
  }
}
