import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
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

function s3Client(): S3Client {
  return new S3Client({
    endpoint: process.env.PACS_S3_ENDPOINT,
    region: process.env.PACS_S3_REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.PACS_S3_ACCESS_KEY_ID!,
      secretAccessKey: process.env.PACS_S3_SECRET_ACCESS_KEY!,
    },
  });
}

async function removeBucket(bucket: string): Promise<void> {
  const s3 = s3Client();
  try {
    for (;;) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      if (!page.Contents?.length) break;
      for (const object of page.Contents) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } finally {
    s3.destroy();
  }
}

/**
 * A cluster of service processes against the real servers of scripts/test-env (variables in process.env),
 * isolated from other runs: its own database, Kafka topic prefix and bucket.
 */
export async function startClusterTarget(
  services?: ServiceName[],
  overrides: Record<string, string> = {},
): Promise<ClusterTarget> {
  const run = `t${process.pid}x${Date.now()}`;
  const serverUrl = process.env.PACS_DATABASE_URL!;
  const database = `pacs_cluster_${run}`;
  await admin(serverUrl, `CREATE DATABASE ${database}`);
  const bucket = `pacs-${run}`;
  if (!overrides.PACS_S3_ENDPOINT) {
    const s3 = s3Client();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const env: Record<string, string> = {
    PACS_DATABASE_URL: url.toString(),
    PACS_KAFKA_BROKERS: process.env.PACS_KAFKA_BROKERS!,
    PACS_KAFKA_TOPIC_PREFIX: `${run}.`,
    PACS_S3_ENDPOINT: process.env.PACS_S3_ENDPOINT!,
    PACS_S3_REGION: process.env.PACS_S3_REGION!,
    PACS_S3_BUCKET: overrides.PACS_S3_ENDPOINT ? process.env.PACS_S3_BUCKET! : bucket,
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
      if (!overrides.PACS_S3_ENDPOINT) await removeBucket(bucket);
    },
  };
}
