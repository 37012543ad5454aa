import type { Config } from '@pacs/config';
import { KafkaEventBus, MemoryEventBus, type EventBus } from '@pacs/bus';
import { openIndexDatabase, type IndexDatabase } from '@pacs/index';
import { FsBlobStore, S3BlobStore, type BlobStore } from '@pacs/storage';
import { join, resolve } from 'node:path';
import type { Logger } from './logger';

/** The adapters of the ports, chosen by configuration: embedded defaults or the cluster's servers. */
export function createBlobStore(config: Config): BlobStore {
  if (config.PACS_STORAGE === 'fs') return new FsBlobStore(resolve(config.PACS_DATA_DIR, 'blobs'));
  return new S3BlobStore({
    endpoint: config.PACS_S3_ENDPOINT,
    region: config.PACS_S3_REGION,
    bucket: config.PACS_S3_BUCKET,
    accessKeyId: config.PACS_S3_ACCESS_KEY_ID,
    secretAccessKey: config.PACS_S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.PACS_S3_FORCE_PATH_STYLE,
  });
}

export function createEventBus(config: Config, service: string, logger: Logger): EventBus {
  const busLogger = {
    warn: (message: string, details?: Record<string, unknown>) => logger.warn(details ?? {}, message),
    error: (message: string, details?: Record<string, unknown>) => logger.error(details ?? {}, message),
  };
  if (config.PACS_BUS === 'memory') return new MemoryEventBus({ logger: busLogger });
  return new KafkaEventBus({
    brokers: config.PACS_KAFKA_BROKERS,
    clientId: `${config.PACS_KAFKA_CLIENT_ID}-${service}`,
    topicPrefix: config.PACS_KAFKA_TOPIC_PREFIX,
    logger: busLogger,
  });
}

export function openIndex(config: Config): Promise<IndexDatabase> {
  if (config.PACS_INDEX === 'pglite') {
    return openIndexDatabase({ kind: 'pglite', dataDir: join(resolve(config.PACS_DATA_DIR), 'index') });
  }
  return openIndexDatabase({
    kind: 'postgres',
    url: config.PACS_DATABASE_URL,
    poolSize: config.PACS_DATABASE_POOL_SIZE,
  });
}
