import { Client } from 'pg';
import { startCluster, type Cluster, type ServiceName } from '../../scripts/cluster/cluster';

export interface ClusterTarget {
  cluster: Cluster;
  env: Record<string, string>;
  close(): Promise<void>;
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A cluster of service processes against the real servers of scripts/test-env (variables in process.env),
 * isolated from other runs: its own database, Kafka topic prefix and blob key space.
 */
export async function startClusterTarget(
  services?: ServiceName[],
  overrides: Record<string, string> = {},
): Promise<ClusterTarget> {
  const run = `t${process.pid}x${Date.now()}`;
  const serverUrl = process.env.PACS_DATABASE_URL!;
  const database = `pacs_cluster_${run}`;
  await admin(serverUrl, `CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const env: Record<string, string> = {
    PACS_DATABASE_URL: url.toString(),
    PACS_KAFKA_BROKERS: process.env.PACS_KAFKA_BROKERS!,
    PACS_KAFKA_TOPIC_PREFIX: `${run}.`,
    PACS_S3_ENDPOINT: process.env.PACS_S3_ENDPOINT!,
    PACS_S3_REGION: process.env.PACS_S3_REGION!,
    PACS_S3_BUCKET: process.env.PACS_S3_BUCKET!,
    PACS_S3_ACCESS_KEY_ID: process.env.PACS_S3_ACCESS_KEY_ID!,
    PACS_S3_SECRET_ACCESS_KEY: process.env.PACS_S3_SECRET_ACCESS_KEY!,
    PACS_LOG_LEVEL: process.env.PACS_TEST_LOG_LEVEL ?? 'warn',
    ...overrides,
  };
  const cluster = await startCluster({
    // The repository root (jest and the benchmarks run from it): dist/ holds the built services.
    root: process.cwd(),
    env,
    services,
    stdio: process.env.PACS_TEST_LOG_LEVEL ? 'inherit' : 'ignore',
  });
  return {
    cluster,
    env,
    close: async () => {
      await cluster.stop();
      await admin(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}
