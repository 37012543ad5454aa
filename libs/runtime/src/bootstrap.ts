import 'reflect-metadata';
import { describeConfig, loadConfig, type Config, type SettingName } from '@pacs/config';
import { DicomwebExceptionFilter } from '@pacs/dicomweb';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureHttpServer, fastifyOptions } from './http-server';
import { HealthRegistry } from './health';
import { createLogger, type Logger } from './logger';
import { RuntimeModule, type Feature, type Requirement } from './runtime.module';
import { HEALTH } from './tokens';

export interface BootstrapOptions {
  /** The service name: logs, client ids, health. */
  name: string;
  features: readonly Feature[];
  /** Settings that win over the environment (tests, the all-in-one defaults). */
  overrides?: Partial<Record<SettingName, string>>;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface App {
  app: NestFastifyApplication;
  config: Config;
  logger: Logger;
  /** The URL the server listens on (after listen). */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds one process from feature modules: loads the config once, binds the ports (RuntimeModule), sets up
 * the HTTP server, and initialises every module (migrations, consumers) before the first request is
 * served. `listen: false` leaves the server unbound (tests call app.listen themselves).
 */
export async function createApp(options: BootstrapOptions): Promise<App> {
  const config = loadConfig(options.env, options.overrides);
  const logger = createLogger(options.name, config.PACS_LOG_LEVEL);
  const requires = new Set<Requirement>(options.features.flatMap((f) => f.requires));

  @Module({})
  class AppModule {}
  const root: DynamicModule = {
    module: AppModule,
    imports: [
      RuntimeModule.forRoot({ config, logger, service: options.name, requires }),
      ...options.features.map((f) => f.module),
    ],
  };

  const adapter = new FastifyAdapter(fastifyOptions);
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: false,
    abortOnError: false,
    bodyParser: false,
  });
  app.useGlobalFilters(new DicomwebExceptionFilter({ logger, service: options.name }));
  app.enableShutdownHooks();
  configureHttpServer(app.getHttpAdapter().getInstance(), {
    config,
    logger,
    health: app.get<HealthRegistry>(HEALTH),
    service: options.name,
  });
  await app.init();
  return {
    app,
    config,
    logger,
    url: '',
    close: () => app.close(),
  };
}

/** A service's main: bootstrap, or print why it cannot start and exit non-zero. */
export function run(options: BootstrapOptions): void {
  bootstrap(options).catch((error: unknown) => {
    console.error(`${options.name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

/** Starts a service: createApp, listen on PACS_HTTP_HOST:PACS_HTTP_PORT, log where. */
export async function bootstrap(options: BootstrapOptions): Promise<App> {
  const started = Date.now();
  const created = await createApp(options);
  const { app, config, logger } = created;
  await app.listen(config.PACS_HTTP_PORT, config.PACS_HTTP_HOST);
  const url = `http://${config.PACS_HTTP_HOST}:${config.PACS_HTTP_PORT}`;
  logger.info(
    { url: `${url}/dicomweb`, ms: Date.now() - started, config: describeConfig(config) },
    `${options.name} ready`,
  );
  return { ...created, url };
}
