// The index consumer on real Kafka and PostgreSQL: a backlog of instance.stored events (an index that was down, or a
// migration of an archive) is caught up in large batches, one transaction each. kafkajs hands a subscription the
// messages of ONE partition per call, as many as one fetch returned (at most 1 MiB per partition by default), so
// the batch size depends on the size of the events; this test measures it for events of a realistic size.
import { KafkaEventBus, silentBusLogger, type EventBus } from '@pacs/bus';
import { applyMigrations, openIndexDatabase, type IndexDatabase } from '@pacs/index';
import { createLogger } from '@pacs/runtime';
import { FsBlobStore } from '@pacs/storage';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { indexBatchSize, InstanceStoredConsumer } from './instance-stored.consumer';
import { instanceStored } from './testing/events';

jest.setTimeout(240_000);

const serverUrl = process.env.PACS_DATABASE_URL!;
const database = `pacs_qido_kafka_${process.pid}_${Date.now()}`;
const prefix = `qido-test-${process.pid}-${Date.now()}.`;
const events = 6_000;
let db: IndexDatabase;
let bus: EventBus;
let blobDir: string;

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  db = await openIndexDatabase({ kind: 'postgres', url: url.toString(), poolSize: 4 });
  await applyMigrations(db.sql);
  bus = new KafkaEventBus({
    brokers: process.env.PACS_KAFKA_BROKERS!.split(','),
    clientId: 'qido-kafka-test',
    topicPrefix: prefix,
    logger: silentBusLogger,
  });
  blobDir = mkdtempSync(join(tmpdir(), 'pacs-qido-kafka-'));
});

afterAll(async () => {
  await bus?.close();
  await db?.close();
  await admin(`DROP DATABASE IF EXISTS ${database}`);
  rmSync(blobDir, { recursive: true, force: true });
});

it('catches up a backlog in batches of hundreds, one transaction each', async () => {
  // 60 studies of 100 instances with a ~2 kB header each, published before the consumer starts.
  const backlog = Array.from({ length: events }, (_, n) =>
    instanceStored({ study: `2.25.77${Math.floor(n / 100)}`, padding: 1500 }),
  );
  for (let i = 0; i < backlog.length; i += 200) await bus.publish(backlog.slice(i, i + 200).map((e) => e.message));

  const logged: string[] = [];
  const logger = createLogger(
    'qido',
    'debug',
    new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    }),
  );
  const consumer = new InstanceStoredConsumer(db, bus, new FsBlobStore(blobDir), logger);
  const handle = jest.spyOn(consumer, 'handle');
  const started = performance.now();
  await consumer.start();
  try {
    for (;;) {
      const [{ n }] = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM instance');
      if (Number(n) === events) break;
      if (performance.now() - started > 200_000) throw new Error(`only ${n} of ${events} indexed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const sizes = handle.mock.calls.map(([batch]) => batch.length);
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const eventBytes = backlog[0]!.message.value.length;
  process.stdout.write(
    `kafka catch-up: ${events} events of ${eventBytes} bytes in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} rows/s), ` +
      `${sizes.length} batches, mean ${Math.round(mean)}, max ${Math.max(...sizes)}, sizes ${JSON.stringify(sizes)}\n`,
  );
  expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(events);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(indexBatchSize);
  // A 1 MiB fetch holds ~400 of these events: the batches of a backlog are hundreds, not a handful.
  expect(mean).toBeGreaterThanOrEqual(250);
  expect(logged.filter((l) => l.includes('index batch written'))).toHaveLength(sizes.length);
});
