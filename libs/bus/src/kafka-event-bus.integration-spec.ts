// KafkaEventBus against the real broker of scripts/infra/kafka.sh (PACS_KAFKA_BROKERS, set by the jest global
// setup), plus a broker of its own for the outage test (started, stopped and started again with the same script).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { type ContractOptions, describeEventBusContract } from './event-bus.contract';
import { silentBusLogger } from './event-bus';
import { KafkaEventBus } from './kafka-event-bus';
import { Topic } from './topics';

const brokers = (process.env.PACS_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('PACS_KAFKA_BROKERS is not set: run scripts/infra/kafka.sh up (or npm test)');

const kafkaScript = join(__dirname, '../../../scripts/infra/kafka.sh');
const run = promisify(execFile);
// Every topic and group of this run starts with it, so runs never see each other's messages.
const runPrefix = `test.${randomUUID().slice(0, 8)}.`;
let suiteCount = 0;

const busOn = (brokerList: string[], prefix: string, options: ContractOptions): KafkaEventBus =>
  new KafkaEventBus({
    brokers: brokerList,
    clientId: 'pacs-bus-test',
    topicPrefix: prefix,
    partitions: {
      [Topic.InstanceStored]: options.partitions,
      [Topic.InstanceIndexed]: 1,
      [Topic.InstanceDeleted]: 1,
      [Topic.PatientUpdated]: 1,
      [Topic.PatientsMerged]: 1,
      [Topic.DeadLetter]: 1,
    },
    retry: options.retry,
    logger: options.logger,
    // Members of a group notice a newcomer within one heartbeat: keep the tests' rebalances short.
    heartbeatIntervalMs: 300,
    sessionTimeoutMs: 10_000,
    publishTimeoutMs: 5_000,
  });

afterAll(async () => {
  const admin = new Kafka({ clientId: 'pacs-bus-test-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(runPrefix));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
});

describeEventBusContract(
  'KafkaEventBus',
  (options) => {
    const prefix = `${runPrefix}${++suiteCount}.`;
    return { bus: () => busOn(brokers, prefix, options) };
  },
  {
    deliveryTimeoutMs: 30_000,
    outage: async () => {
      const infraDir = mkdtempSync(join(tmpdir(), 'pacs-kafka-outage-'));
      const env = { ...process.env, PACS_INFRA_DIR: infraDir, PACS_KAFKA_TOPIC_PREFIX: 'outage.' };
      const script = async (command: string): Promise<void> => {
        await run('bash', [kafkaScript, command], { env, timeout: 120_000 });
      };
      await script('up');
      const line = readFileSync(join(infraDir, 'kafka', 'env'), 'utf8').match(/^PACS_KAFKA_BROKERS=(.+)$/m);
      const own = line![1]!.trim().split(',');
      return {
        bus: (options) => busOn(own, `${runPrefix}outage.`, options),
        stopBroker: () => script('down'),
        startBroker: () => script('up'),
        dispose: async () => {
          await script('down');
          rmSync(infraDir, { recursive: true, force: true });
        },
      };
    },
  },
);

describe('KafkaEventBus latency', () => {
  it('hands 500 sequential messages to the handler a few milliseconds after publish', async () => {
    const bus = new KafkaEventBus({
      brokers,
      clientId: 'pacs-bus-latency',
      topicPrefix: `${runPrefix}latency.`,
      logger: silentBusLogger,
      maxWaitTimeMs: 10,
    });
    try {
      let waiting: { value: string; arrived: () => void } | undefined;
      await bus.subscribe({
        topic: Topic.InstanceStored,
        group: 'latency',
        handler: async (batch) => {
          for (const m of batch) if (waiting && new TextDecoder().decode(m.value) === waiting.value) waiting.arrived();
        },
      });
      const roundTrip = async (value: string): Promise<number> => {
        const started = performance.now();
        const arrived = new Promise<void>((resolve) => (waiting = { value, arrived: resolve }));
        await bus.publish([
          { topic: Topic.InstanceStored, key: `study-${value}`, value: new TextEncoder().encode(value) },
        ]);
        await arrived;
        return performance.now() - started;
      };
      // Warm-up: the group's first join, connections, JIT.
      for (let i = 0; i < 20; i++) await roundTrip(`warm-${i}`);
      const latencies: number[] = [];
      for (let i = 0; i < 500; i++) latencies.push(await roundTrip(`m-${i}`));
      latencies.sort((a, b) => a - b);
      const p50 = latencies[249]!;
      const p95 = latencies[474]!;
      const p99 = latencies[494]!;
      console.log(
        `KafkaEventBus publish → handler, 500 sequential messages: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[499]!.toFixed(1)} ms`,
      );
      // ENVIRONMENT.md measured p50 1.5–3.4 ms and p95 3.6–7.2 ms for kafkajs on an idle machine; the bounds leave
      // room for a busy CI runner, and still catch a fetch wait left at its 5 s default.
      expect(p50).toBeLessThan(50);
      expect(p95).toBeLessThan(250);
    } finally {
      await bus.close();
    }
  });
});
