import type { AuditSink, Authenticator } from '@pacs/auth';
import type { Config } from '@pacs/config';
import { traceIdOf, type Telemetry } from '@pacs/telemetry';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { authenticateRequests } from './authenticate-requests';
import { registerCors } from './cors';
import type { HealthRegistry } from './health';
import type { Logger } from './logger';
import { observeRequests } from './observe-requests';

/** Largest JSON request body (UPS workitems, STOW metadata): DICOM JSON of one data set, not bulk data. */
const maxJsonBodyBytes = 16 * 1024 * 1024;

/** A request id from the client is kept only if it is short and plain (it is echoed and logged). */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : randomUUID();
}

export const fastifyOptions = {
  genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
    requestIdOf(req.headers['x-request-id']),
  // Frame lists (/frames/1,2,3,…) and UIDs make long path parameters.
  routerOptions: { maxParamLength: 16_384 },
  bodyLimit: maxJsonBodyBytes,
  return503OnClosing: true,
};

export interface HttpServerDeps {
  config: Config;
  logger: Logger;
  health: HealthRegistry;
  service: string;
  telemetry: Telemetry;
  authenticator: Authenticator;
  audit: AuditSink;
}

/**
 * What every process's HTTP server does besides its routes, in this order: metrics, span and audit record of
 * every request (observeRequests); CORS, answering preflights before anything else; request ids; authentication
 * and authorization (PACS_AUTH_MODE); bodies left as streams for the DICOMweb handlers (multipart/related and
 * application/dicom are never buffered), JSON for DICOM JSON bodies; a request log line without PHI; the
 * health endpoints and /metrics (unless PACS_METRICS_PORT puts it on a port of its own).
 */
export function configureHttpServer(app: FastifyInstance, deps: HttpServerDeps): void {
  const { config, logger, health, telemetry } = deps;
  observeRequests(app, {
    telemetry,
    audit: deps.audit,
    service: deps.service,
    trustedProxies: config.PACS_TRUSTED_PROXIES,
  });
  registerCors(app, config.PACS_CORS_ORIGINS);

  app.removeAllContentTypeParsers();
  const parseJson = (_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body));
    } catch {
      const error = Object.assign(new Error('The request body is not valid JSON'), { statusCode: 400 });
      done(error);
    }
  };
  app.addContentTypeParser(['application/json', 'application/dicom+json'], { parseAs: 'string' }, parseJson);
  // Everything else stays unread: handlers stream request.raw.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-ID', request.id);
  });
  authenticateRequests(app, deps.authenticator);
  app.addHook('onResponse', async (request, reply) => {
    const traceId = traceIdOf(request);
    logger.info(
      {
        reqId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...(traceId ? { traceId } : {}),
      },
      'request',
    );
  });

  app.get('/healthz', async () => ({ status: 'ok', service: deps.service }));
  app.get('/readyz', async (_request, reply) => {
    const result = await health.run();
    return reply.code(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'not ready', ...result });
  });
  if (config.PACS_METRICS_PORT === 0) {
    app.get('/metrics', (request, reply) => {
      reply.hijack();
      telemetry.serveMetrics(request.raw, reply.raw);
    });
  }
}

/** /metrics on a port of its own (PACS_METRICS_PORT): nothing else is served there. */
export function metricsServer(telemetry: Telemetry): Server {
  return createServer((request, response) => {
    if (request.method === 'GET' && request.url?.split('?')[0] === '/metrics')
      telemetry.serveMetrics(request, response);
    else response.writeHead(404).end();
  });
}
