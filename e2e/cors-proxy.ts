// A reverse proxy that lets a browser on another origin use a DICOMweb server that sends no CORS headers
// (Orthanc): it answers preflights itself, adds Access-Control-* headers to every answer, and can demand
// a bearer token that it strips before forwarding (for servers without authentication). Bodies stream
// through in both directions with backpressure; nothing is buffered. Paths are forwarded unchanged.
import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';

export interface CorsProxyOptions {
  /** Origin of the upstream server, e.g. 'http://127.0.0.1:8042'; paths are forwarded unchanged. */
  readonly upstream: string;
  /** Port to listen on, on 127.0.0.1; 0 (default) lets the kernel choose a free one. */
  readonly port?: number;
  /** When set, every request but a preflight must carry `Authorization: Bearer <token>`; else 401. */
  readonly bearerToken?: string;
  /**
   * Answers `…/thumbnail` (PS3.18 §9.5.1) with the upstream's `…/rendered` (§9.5): for servers that have
   * rendered resources but no thumbnails (Orthanc's DICOMweb plugin 1.7).
   */
  readonly thumbnailAsRendered?: boolean;
  /**
   * Sends `includefield=a,b` (PS3.18 §8.3.4.3: a comma-separated list) as `includefield=a&includefield=b`,
   * for servers that take only one attribute per parameter (Orthanc's DICOMweb plugin 1.7).
   */
  readonly splitIncludeField?: boolean;
  /** Called once per forwarded request when the answer is complete or failed (for logs). */
  readonly onExchange?: (exchange: ProxyExchange) => void;
}

export interface ProxyExchange {
  readonly method: string;
  readonly path: string;
  readonly upstreamPath: string;
  readonly status: number;
  readonly accept: string | undefined;
  /** Of a preflight: the headers the browser asked to send (Access-Control-Request-Headers). */
  readonly requestedHeaders?: string;
  readonly millis: number;
}

export interface RunningCorsProxy {
  /** 'http://127.0.0.1:<port>' */
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

// Fetch standard §3.2.5 (CORS protocol): a browser reads only CORS-safelisted response headers unless
// they are exposed; DICOMweb clients read these.
const exposedHeaders = ['Content-Type', 'Content-Length', 'Content-Location', 'Location', 'Warning', 'ETag'];
// RFC 9110 §7.6.1: connection-specific fields are not forwarded by a proxy.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export async function startCorsProxy(options: CorsProxyOptions): Promise<RunningCorsProxy> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:') throw new Error(`The upstream must be an http: URL, not ${options.upstream}`);
  const server = createServer((req, res) => handle(req, res, upstream, options));
  // A browser keeps connections open; close() must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return {
    'Access-Control-Allow-Origin': origin ?? '*',
    'Access-Control-Expose-Headers': exposedHeaders.join(', '),
    // The answer depends on the Origin request header: caches must keep one per origin.
    Vary: 'Origin',
  };
}

function handle(req: IncomingMessage, res: ServerResponse, upstream: URL, options: CorsProxyOptions): void {
  const started = performance.now();
  const cors = corsHeaders(req);

  // Fetch standard §4.8 (CORS-preflight fetch): OPTIONS with Access-Control-Request-Method. It carries no
  // credentials, so it is answered without the token.
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.writeHead(204, {
      ...cors,
      'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '',
      'Access-Control-Max-Age': '600',
    });
    res.end();
    req.resume();
    report(options, req, req.url ?? '', 204, started);
    return;
  }

  if (options.bearerToken !== undefined && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
    // RFC 6750 §3: a request without a valid token is answered 401 with a Bearer challenge.
    const error = req.headers.authorization === undefined ? '' : ', error="invalid_token"';
    res.writeHead(401, { ...cors, 'WWW-Authenticate': `Bearer realm="dicomweb"${error}`, 'Content-Length': '0' });
    res.end();
    req.resume();
    report(options, req, req.url ?? '', 401, started);
    return;
  }

  const path = req.url ?? '/';
  let upstreamPath = options.thumbnailAsRendered ? thumbnailToRendered(path) : path;
  if (options.splitIncludeField) upstreamPath = splitIncludeField(upstreamPath);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || hopByHop.has(name)) continue;
    // The token was for this proxy; the upstream has no authentication.
    if (name === 'authorization' && options.bearerToken !== undefined) continue;
    headers[name] = value;
  }

  const forward = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port || 80,
      method: req.method,
      path: upstreamPath,
      // Host is kept as the client sent it: the upstream builds absolute URLs (BulkDataURI, Location) from it,
      // and they must point back at this proxy.
      headers,
    },
    (upstreamRes) => {
      const responseHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value !== undefined && !hopByHop.has(name) && !name.startsWith('access-control-')) {
          responseHeaders[name] = value;
        }
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, { ...responseHeaders, ...cors });
      pipeline(upstreamRes, res, () => report(options, req, upstreamPath, upstreamRes.statusCode ?? 502, started));
    },
  );
  forward.on('error', (error) => {
    if (!res.headersSent) {
      const body = `The upstream ${upstream.origin} failed: ${error.message}`;
      res.writeHead(502, { ...cors, 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.destroy(error);
    }
    report(options, req, upstreamPath, 502, started);
  });
  // The client's body (STOW-RS) streams to the upstream as it arrives; a client that goes away aborts it.
  pipeline(req, forward, () => undefined);
}

function report(
  options: CorsProxyOptions,
  req: IncomingMessage,
  upstreamPath: string,
  status: number,
  started: number,
) {
  options.onExchange?.({
    method: req.method ?? '',
    path: req.url ?? '',
    upstreamPath,
    status,
    accept: req.headers.accept,
    requestedHeaders: req.headers['access-control-request-headers'],
    millis: performance.now() - started,
  });
}

/**
 * '/studies/1/series/2/thumbnail?viewport=64%2C64' → '/studies/1/series/2/rendered?viewport=64,64'
 * (the comma of `viewport` is sent literally too: Orthanc 1.7 does not decode %2C there).
 */
export function thumbnailToRendered(path: string): string {
  const query = path.indexOf('?');
  const pathname = query === -1 ? path : path.slice(0, query);
  if (!pathname.endsWith('/thumbnail')) return path;
  const rendered = `${pathname.slice(0, -'thumbnail'.length)}rendered`;
  return query === -1 ? rendered : `${rendered}?${path.slice(query + 1).replace(/%2C/gi, ',')}`;
}

/** '/studies?limit=1&includefield=00081030%2C00080060' → '/studies?limit=1&includefield=00081030&includefield=00080060' */
export function splitIncludeField(path: string): string {
  const query = path.indexOf('?');
  if (query === -1) return path;
  const params = path
    .slice(query + 1)
    .split('&')
    .flatMap((param) => {
      if (!param.toLowerCase().startsWith('includefield=')) return [param];
      const name = param.slice(0, 'includefield'.length);
      return decodeURIComponent(param.slice(name.length + 1))
        .split(',')
        .filter((value) => value !== '')
        .map((value) => `${name}=${encodeURIComponent(value)}`);
    });
  return `${path.slice(0, query)}?${params.join('&')}`;
}
