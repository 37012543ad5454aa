import { DicomwebError } from '@pacs/dicomweb';
import { markAnsweredUpstream } from '@pacs/runtime';
import { propagateTrace } from '@pacs/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; CORS headers are the gateway's own business, and
 * Vary is the union of the service's (e.g. Accept-Encoding) and the gateway's (Origin).
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);
const isCors = (name: string) => name.startsWith('access-control-');

/** RFC 9110 §12.5.5: Vary is a list of field names (case-insensitive); both sides' names are kept. */
function mergeVary(...values: unknown[]): string {
  const names = new Map<string, string>();
  for (const value of values.flat()) {
    if (typeof value !== 'string') continue;
    const listed = value.split(',').map((n) => n.trim());
    for (const name of listed) if (name) names.set(name.toLowerCase(), name);
  }
  return [...names.values()].join(', ');
}

/** Keep-alive connections to the services: a viewer sends hundreds of small requests. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * Streams a request to an upstream service and its response back, in both directions without buffering
 * (a multi-GB STOW body or series retrieve passes through chunk by chunk, with backpressure). The upstream
 * learns the client's view of the URL from Forwarded / X-Forwarded-* so RetrieveURL and BulkDataURI are right,
 * the caller's token (it authenticates again) and the trace context of the gateway's span.
 */
export function proxy(request: FastifyRequest, reply: FastifyReply, upstream: URL): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
  }
  const host = request.headers.host ?? '';
  headers['x-forwarded-host'] = host;
  headers['x-forwarded-proto'] = request.protocol;
  headers['x-forwarded-for'] = [request.headers['x-forwarded-for'], request.ip].filter(Boolean).join(', ');
  headers['x-request-id'] = request.id;
  // The service re-verifies the bearer token (Authorization is forwarded as received) and continues the trace.
  propagateTrace(request, headers);
  const target = new URL(request.url, upstream);

  return new Promise<void>((resolve, reject) => {
    const outgoing = httpRequest(target, { method: request.method, headers, agent }, (incoming: IncomingMessage) => {
      // The service answered: it audits this access, the gateway does not (docs/architecture.md, "Security").
      markAnsweredUpstream(request);
      reply.hijack();
      const out = reply.raw;
      out.statusCode = incoming.statusCode ?? 502;
      for (const [name, value] of Object.entries(incoming.headers as IncomingHttpHeaders)) {
        if (value !== undefined && !hopByHop.has(name) && !isCors(name)) out.setHeader(name, value);
      }
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value === undefined) continue;
        if (name === 'vary') out.setHeader('vary', mergeVary(out.getHeader('vary'), value));
        else if (isCors(name) || name === 'x-request-id') out.setHeader(name, value as string);
      }
      incoming.pipe(out);
      incoming.on('error', () => out.destroy());
      out.on('close', () => {
        if (!incoming.readableEnded) incoming.destroy();
        resolve();
      });
    });
    outgoing.on('error', (cause) => {
      if (reply.sent || reply.raw.headersSent) {
        reply.raw.destroy();
        resolve();
        return;
      }
      reject(
        new DicomwebError('Unavailable', 'The service for this request is unavailable', {
          cause,
          retryAfterSeconds: 2,
        }),
      );
    });
    request.raw.pipe(outgoing);
    request.raw.on('aborted', () => outgoing.destroy());
  });
}
