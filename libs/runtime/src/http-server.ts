import type { Config } from '@pacs/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { registerCors } from './cors';
import type { HealthRegistry } from './health';
import type { Logger } from './logger';

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

/**
 * What every process's HTTP server does besides its routes: request ids, CORS, bodies left as streams for
 * the DICOMweb handlers (multipart/related and application/dicom are never buffered), JSON for DICOM JSON
 * bodies, a request log line without PHI, and the health endpoints.
 */
export function configureHttpServer(
  app: FastifyInstance,
  deps: { config: Config; logger: Logger; health: HealthRegistry; service: string },
): void {
  const { config, logger, health } = deps;
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
  app.addHook('onResponse', async (request, reply) => {
    logger.info(
      {
        reqId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  app.get('/healthz', async () => ({ status: 'ok', service: deps.service }));
  app.get('/readyz', async (_request, reply) => {
    const result = await health.run();
    return reply.code(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'not ready', ...result });
  });
}
