import type { Config } from '@pacs/config';
import { instrumentEventBus, type Telemetry } from '@pacs/telemetry';
import { Global, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { createBlobStore, createEventBus, createInternalDicomweb, openIndex } from './dependencies';
import { HealthRegistry } from './health';
import { InternalDicomweb } from './internal-dicomweb';
import type { Logger } from './logger';
import { RequestContext } from './request-context';
import { BLOB_STORE, CONFIG, EVENT_BUS, HEALTH, INDEX_DATABASE, LOGGER, TELEMETRY } from './tokens';

/**
 * The ports a feature uses; the composition root creates only those its features need. 'dicomweb': the
 * deployment's own DICOMweb API as a client (InternalDicomweb), with the service client's tokens.
 */
export type Requirement = 'blobs' | 'bus' | 'index' | 'dicomweb';

/** A feature as a host composes it: its Nest module and the ports it needs. */
export interface Feature {
  module: DynamicModule['module'];
  requires: readonly Requirement[];
}

/** Closes what the factories opened, last opened first, when the application shuts down. */
class Closer implements OnApplicationShutdown {
  constructor(
    private readonly closers: (() => Promise<void>)[],
    private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    for (const close of [...this.closers].reverse()) {
      await close().catch((error: unknown) =>
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'closing a dependency failed',
        ),
      );
    }
  }
}

/**
 * Binds the ports to adapters once per process (fs|s3, memory|kafka, pglite|postgres by configuration) and
 * registers their readiness checks. Global: features inject the tokens without importing this module.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(options: {
    config: Config;
    logger: Logger;
    service: string;
    requires: ReadonlySet<Requirement>;
    telemetry: Telemetry;
    health?: HealthRegistry;
    /** Closed after the ports (closed last opened first, these first opened). */
    closers?: (() => Promise<void>)[];
  }): DynamicModule {
    const { config, logger, service, requires, telemetry } = options;
    const health = options.health ?? new HealthRegistry();
    const closers: (() => Promise<void>)[] = options.closers ?? [];
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      { provide: HEALTH, useValue: health },
      { provide: TELEMETRY, useValue: telemetry },
      RequestContext,
      { provide: Closer, useFactory: () => new Closer(closers, logger) },
    ];
    if (requires.has('blobs')) {
      providers.push({
        provide: BLOB_STORE,
        useFactory: () => {
          const store = createBlobStore(config);
          health.add({ name: 'blob-store', check: async () => void (await store.head('health/probe')) });
          return store;
        },
      });
    }
    if (requires.has('bus')) {
      providers.push({
        provide: EVENT_BUS,
        useFactory: () => {
          const bus = createEventBus(config, service, logger);
          closers.push(() => bus.close());
          return instrumentEventBus(bus, telemetry);
        },
      });
    }
    if (requires.has('index')) {
      providers.push({
        provide: INDEX_DATABASE,
        useFactory: async () => {
          const db = await openIndex(config);
          closers.push(() => db.close());
          health.add({ name: 'index', check: () => db.ping() });
          return db;
        },
      });
    }
    if (requires.has('dicomweb')) {
      providers.push({ provide: InternalDicomweb, useFactory: () => createInternalDicomweb(config, logger) });
    }
    return {
      module: RuntimeModule,
      providers,
      exports: [
        CONFIG,
        LOGGER,
        HEALTH,
        TELEMETRY,
        RequestContext,
        ...(requires.has('blobs') ? [BLOB_STORE] : []),
        ...(requires.has('bus') ? [EVENT_BUS] : []),
        ...(requires.has('index') ? [INDEX_DATABASE] : []),
        ...(requires.has('dicomweb') ? [InternalDicomweb] : []),
      ],
    };
  }
}
