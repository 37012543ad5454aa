// Waits until the broker answers a metadata request, then creates the topics of libs/bus/src/topics.ts that are
// missing (with their partition counts). Run by scripts/infra/kafka.sh under the repo's Node 24, which imports the
// TypeScript topic list directly (type stripping), so the list is written once.
//   node topics.mjs <brokers> <topic-prefix> <timeout-ms>
import { Kafka, logLevel } from 'kafkajs';
import { topicPartitions } from '../../../libs/bus/src/topics.ts';

const [brokers, prefix, timeoutArg] = process.argv.slice(2);
if (!brokers || prefix === undefined) {
  console.error('usage: node topics.mjs <brokers> <topic-prefix> [timeout-ms]');
  process.exit(2);
}
const deadline = Date.now() + Number(timeoutArg ?? 30_000);
const kafka = new Kafka({
  clientId: 'pacs-infra',
  brokers: brokers.split(','),
  connectionTimeout: 1_000,
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
});
const admin = kafka.admin();

// "Ready" means a metadata request succeeds and names a controller: the broker has joined its own KRaft quorum.
let lastError;
for (;;) {
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0) break;
    lastError = new Error('no controller yet');
  } catch (error) {
    lastError = error;
    await admin.disconnect().catch(() => {});
  }
  if (Date.now() > deadline) {
    console.error(`kafka: no metadata from ${brokers}: ${lastError?.message ?? lastError}`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}

const existing = new Set(await admin.listTopics());
const missing = Object.entries(topicPartitions)
  .map(([topic, numPartitions]) => ({ topic: `${prefix}${topic}`, numPartitions, replicationFactor: 1 }))
  .filter(({ topic }) => !existing.has(topic));
if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: false });
// A topic just created has no leader for a moment (and a broker that has just started may not list it yet).
const names = Object.keys(topicPartitions).map((topic) => `${prefix}${topic}`);
for (;;) {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    if (topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
  } catch (error) {
    lastError = error;
  }
  if (Date.now() > deadline) {
    console.error(`kafka: the topics have no leader yet: ${lastError?.message ?? lastError}`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
for (const { topic, numPartitions } of missing)
  console.log(`kafka: created topic ${topic} (${numPartitions} partitions)`);
await admin.disconnect();
