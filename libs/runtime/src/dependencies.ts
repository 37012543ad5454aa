import { createServiceCredentials } from '@pacs/auth';
import type { Config } from '@pacs/config';
import { KafkaEventBus, MemoryEventBus, type EventBus } from '@pacs/bus';
import { openIndexDatabase, type IndexDatabase } from '@pacs/index';
import { FsBlobStore, S3BlobStore, type BlobStore } from '@pacs/storage';
import { join, resolve } from 'node:path';
import { InternalDicomweb } from './internal-dicomweb';
import { internalDicomwebUrl } from './internal-dicomweb-url';
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

/**
 * The client of this deployment's own DICOMweb API, with the service client's tokens under PACS_AUTH_MODE=jwt.
 * What is wrong with the service client is said at start: a missing client at once, credentials the issuer
 * refuses (or an issuer out of reach) as soon as the first token request fails — asked for here, in the
 * background, so that the log says it before the first order arrives.
 */
export function createInternalDicomweb(config: Config, logger: Logger): InternalDicomweb {
  const credentials = createServiceCredentials(config, logger);
  if (credentials.problem) logger.warn({}, credentials.problem);
  credentials.tokens?.token().then(
    () => logger.info({ clientId: config.PACS_SERVICE_CLIENT_ID }, 'service client: access token obtained'),
    (error: unknown) =>
      logger.warn(
        { clientId: config.PACS_SERVICE_CLIENT_ID, err: error instanceof Error ? error.message : String(error) },
        'service client: no access token; calls to the DICOMweb API fail until one is obtained',
      ),
  );
  return new InternalDicomweb(internalDicomwebUrl(config), credentials);
}
