import 'reflect-metadata';
import { createAuditSink, createAuthentication } from '@pacs/auth';
import { describeConfig, loadConfig, type Config, type SettingName } from '@pacs/config';
import { DicomwebExceptionFilter } from '@pacs/dicomweb';
import { Telemetry } from '@pacs/telemetry';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { AddressInfo } from 'node:net';
import { configureHttpServer, fastifyOptions, metricsServer } from './http-server';
import { HealthRegistry } from './health';
import { createLogger, type Logger } from './logger';
import { RuntimeModule, type Feature, type Requirement } from './runtime.module';

export interface BootstrapOptions {
  /** The service name: logs, client ids, health. */
  name: string;
  features: readonly Feature[];
  /** Settings that win over the environment (tests, the all-in-one defaults). */
  overrides?: Partial<Record<SettingName, string>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Tests: where the log (and an audit trail on stdout) goes instead of stdout. */
  logDestination?: DestinationStream;
  /** Tests: where spans go, whatever PACS_OTEL_TRACES_EXPORTER says. */
  spanExporter?: SpanExporter;
}

export interface App {
  app: NestFastifyApplication;
  config: Config;
  logger: Logger;
  telemetry: Telemetry;
  /** The URL the server listens on (after listen). */
  url: string;
  /** The URL of /metrics when PACS_METRICS_PORT gives it a port of its own (after bootstrap). */
  metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * Builds one process from feature modules: loads the config once, binds the ports (RuntimeModule), sets up
 * the HTTP server, and initialises every module (migrations, consumers) before the first request is
 * served. `listen: false` leaves the server unbound (tests call app.listen themselves).
 */
export async function createApp(options: BootstrapOptions): Promise<App> {
  const config = loadConfig(options.env, options.overrides);
  const logger = createLogger(options.name, config.PACS_LOG_LEVEL, options.logDestination);
  const requires = new Set<Requirement>(options.features.flatMap((f) => f.requires));
  const authentication = createAuthentication(config, logger);
  const telemetry = Telemetry.create({
    service: options.name,
    tracesExporter: config.PACS_OTEL_TRACES_EXPORTER,
    otlpEndpoint: config.PACS_OTEL_EXPORTER_OTLP_ENDPOINT,
    samplerRatio: config.PACS_OTEL_TRACES_SAMPLER_RATIO,
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
  });
  const audit = createAuditSink(config.PACS_AUDIT_LOG, logger, options.name);
  const health = new HealthRegistry();
  const keys = authentication.keys;
  if (keys) health.add({ name: 'oidc-signing-keys', check: () => keys.ready() });
  // Closed after every port, in this order: the last spans and audit records of the last requests get out.
  const closers: (() => Promise<void>)[] = [() => telemetry.shutdown(), () => audit.close()];

  @Module({})
  class AppModule {}
  const root: DynamicModule = {
    module: AppModule,
    imports: [
      RuntimeModule.forRoot({ config, logger, service: options.name, requires, telemetry, health, closers }),
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
    health,
    service: options.name,
    telemetry,
    authenticator: authentication.authenticator,
    audit,
  });
  await app.init();
  return {
    app,
    config,
    logger,
    telemetry,
    url: '',
    close: async () => {
      await app.close();
    },
  };
}

/** A service's main: bootstrap, or print why it cannot start and exit non-zero. */
export function run(options: BootstrapOptions): void {
  quietKnownWarnings();
  bootstrap(options).catch((error: unknown) => {
    console.error(`${options.name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

/**
 * kafkajs schedules timers with a negative delay, which Node 24 reports as TimeoutNegativeWarning on every
 * start (the timer then fires after 1 ms, which is what kafkajs means). That one is dropped; every other
 * warning is still printed.
 */
function quietKnownWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    console.error(`${warning.name}: ${warning.message}`);
  });
}

/** Starts a service: createApp, listen on PACS_HTTP_HOST:PACS_HTTP_PORT, log where. */
export async function bootstrap(options: BootstrapOptions): Promise<App> {
  const started = Date.now();
  const created = await createApp(options);
  const { app, config, logger } = created;
  await app.listen(config.PACS_HTTP_PORT, config.PACS_HTTP_HOST);
  const url = `http://${config.PACS_HTTP_HOST}:${config.PACS_HTTP_PORT}`;
  let metricsUrl: string | undefined;
  let close = created.close;
  if (config.PACS_METRICS_PORT !== 0) {
    const server = metricsServer(created.telemetry);
    server.unref(); // never what keeps the process alive on shutdown
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PACS_METRICS_PORT, config.PACS_HTTP_HOST, resolve);
    });
    metricsUrl = `http://${config.PACS_HTTP_HOST}:${(server.address() as AddressInfo).port}/metrics`;
    close = async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await created.close();
    };
  }
  logger.info(
    {
      url: `${url}/dicomweb`,
      metrics: metricsUrl ?? `${url}/metrics`,
      ms: Date.now() - started,
      config: describeConfig(config),
    },
    `${options.name} ready`,
  );
  return { ...created, url, close, ...(metricsUrl ? { metricsUrl } : {}) };
}
