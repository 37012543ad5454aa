import type { FastifyInstance } from 'fastify';

/**
 * Response headers a browser client (OHIF, dicomweb-client) reads and so must be exposed to it:
 * paging and truncation warnings, content location of STOW results, caching validators, ranges, and the
 * bearer challenge of a refused token.
 */
const exposedHeaders = [
  'Content-Location',
  'Content-Type',
  'Content-Length',
  'Content-Range',
  'Content-Encoding',
  'Accept-Ranges',
  'ETag',
  'Last-Modified',
  'Location',
  'Link',
  'Retry-After',
  'Warning',
  // RFC 6750 §3: a browser client reads why its token was refused (expired: renew it).
  'WWW-Authenticate',
  'X-Request-ID',
].join(', ');
const allowedMethods = 'GET, HEAD, POST, PUT, DELETE, OPTIONS';

/** An origin matcher for the configured list: exact origins, '*', or 'scheme://host:*' for any port. */
export function originMatcher(allowed: readonly string[]): (origin: string) => boolean {
  if (allowed.includes('*')) return () => true;
  const exact = new Set(allowed.filter((a) => !a.endsWith(':*')));
  const anyPort = allowed.filter((a) => a.endsWith(':*')).map((a) => a.slice(0, -2));
  return (origin) =>
    exact.has(origin) || anyPort.some((p) => origin === p || new RegExp(`^${escape(p)}:\\d{1,5}$`).test(origin));
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * CORS (Fetch standard) on every response, errors included, and preflight answered before anything else
 * runs — before authentication, so that a bearer-token request's preflight succeeds — and cheaply: a
 * viewer sends one before most requests.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  const allowed = originMatcher(allowedOrigins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    reply.header('Vary', 'Origin');
    if (typeof origin !== 'string' || !allowed(origin)) return;
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Access-Control-Expose-Headers', exposedHeaders);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      const requested = request.headers['access-control-request-headers'];
      reply.header('Access-Control-Allow-Methods', allowedMethods);
      if (typeof requested === 'string' && requested) reply.header('Access-Control-Allow-Headers', requested);
      reply.header('Access-Control-Max-Age', '86400');
      await reply.code(204).send();
    }
  });
}
