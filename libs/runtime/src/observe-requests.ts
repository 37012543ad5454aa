// What every request leaves behind when it is over, however it ended (answered, failed, or cut by the client):
// its metrics, its server span and — for a DICOMweb access — its audit record. One 'close' listener per request
// does all three; 'close' fires after the last byte or when the connection dies, so an aborted download is
// counted and audited too.
import {
  buildAuditRecord,
  clientAddressResolver,
  coercionOf,
  dicomwebResourceOf,
  principalOf,
  type AuditSink,
  type DicomwebResource,
} from '@pacs/auth';
import { attachSpan, type Telemetry } from '@pacs/telemetry';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ObserveOptions {
  telemetry: Telemetry;
  audit: AuditSink;
  service: string;
  trustedProxies: readonly string[];
}

const answeredUpstreamKey = Symbol('pacs.answeredUpstream');

/**
 * Marks a request whose answer came from another of our services (the gateway's proxy): that service audits
 * the access, so the gateway does not audit it a second time. The gateway still audits what it answers itself
 * (401, 403, no such route, upstream unavailable).
 */
export function markAnsweredUpstream(request: object): void {
  (request as { [answeredUpstreamKey]?: boolean })[answeredUpstreamKey] = true;
}
const answeredUpstream = (request: object): boolean =>
  (request as { [answeredUpstreamKey]?: boolean })[answeredUpstreamKey] === true;

/** The route template of a request: the framework's, or — for a catch-all such as the gateway's — the DICOMweb one. */
function routeOf(request: FastifyRequest, resource: DicomwebResource | undefined): string {
  const route = request.routeOptions.url;
  if (route === undefined) return resource?.route ?? '(unmatched)';
  return route.endsWith('/*') && resource && !route.includes(':') ? resource.route : route;
}

const socketBytes = (request: FastifyRequest): { read: number; written: number } | undefined => {
  const socket = request.raw.socket as { bytesRead?: unknown; bytesWritten?: unknown } | null;
  return typeof socket?.bytesRead === 'number' && typeof socket.bytesWritten === 'number'
    ? { read: socket.bytesRead, written: socket.bytesWritten }
    : undefined;
};

export function observeRequests(app: FastifyInstance, options: ObserveOptions): void {
  const { telemetry, audit, service } = options;
  const { duration, active, received, sent } = telemetry.http;
  const clientAddress = clientAddressResolver(options.trustedProxies);

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const started = performance.now();
    const method = request.method;
    const resource = method === 'OPTIONS' ? undefined : dicomwebResourceOf(method, request.url);
    const route = routeOf(request, resource);
    const activeAttributes = { 'http.request.method': method };
    active.add(1, activeAttributes);
    const span = telemetry.startServerSpan(method, route, request.headers, { 'url.scheme': request.protocol });
    if (span) attachSpan(request, span);
    const before = socketBytes(request);

    // 'finish': the whole response was handed to the OS; 'close' without it: the connection died first.
    // (A flag, not writableFinished: injected test requests finish without setting it.)
    let finished = false;
    reply.raw.once('finish', () => {
      finished = true;
    });
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      const aborted = !finished;
      active.add(-1, activeAttributes);
      duration.record((performance.now() - started) / 1000, {
        'http.request.method': method,
        'http.route': route,
        'http.response.status_code': status,
      });
      const after = socketBytes(request);
      if (before && after) {
        const routeAttributes = { 'http.route': route };
        // A body's length is its Content-Length; a chunked body's, about what the socket read meanwhile.
        const length = Number(request.headers['content-length']);
        received.add(
          Number.isFinite(length) && length >= 0 ? length : Math.max(0, after.read - before.read),
          routeAttributes,
        );
        sent.add(Math.max(0, after.written - before.written), routeAttributes);
      }
      if (span) telemetry.endServerSpan(span, status, aborted);
      if (resource && !answeredUpstream(request)) {
        const query = request.url.indexOf('?');
        const coercion = coercionOf(request);
        audit.write(
          buildAuditRecord({
            time: new Date(),
            service,
            requestId: request.id,
            ...(span ? { traceId: span.spanContext().traceId } : {}),
            method,
            resource: { ...resource, route },
            query: query < 0 ? '' : request.url.slice(query + 1),
            status,
            aborted,
            principal: principalOf(request),
            clientAddress: clientAddress(request.socket?.remoteAddress, request.headers['x-forwarded-for']),
            ...(coercion ? { coercion } : {}),
          }),
        );
      }
    });
    done();
  });
}
