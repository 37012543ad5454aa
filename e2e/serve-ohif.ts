// Serves the prebuilt OHIF viewer (scripts/e2e/fetch-ohif.sh) on its own origin, with an app-config.js
// made for the run instead of the one in dist/. Files stream from disk; unknown paths without an
// extension get index.html (the viewer routes on the client: /viewer, /localbasic, ...).
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream';

export interface ServeOhifOptions {
  /** The viewer's dist/ folder. */
  readonly distDir: string;
  /** The JavaScript served as /app-config.js (see renderOhifAppConfig). */
  readonly appConfig: string;
  /**
   * Send COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer for cornerstone's volume loader,
   * as OHIF's deployment guide recommends). Cross-origin DICOMweb answers then need CORS, as they do anyway.
   */
  readonly crossOriginIsolated?: boolean;
  /** 0 (default): a free port chosen by the kernel, on 127.0.0.1. */
  readonly port?: number;
}

export interface RunningOhif {
  /** 'http://127.0.0.1:<port>' */
  readonly origin: string;
  close(): Promise<void>;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.onnx': 'application/octet-stream',
};

export async function serveOhif(options: ServeOhifOptions): Promise<RunningOhif> {
  const root = normalize(options.distDir);
  const isolation: Record<string, string> = options.crossOriginIsolated
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};
  const appConfig = Buffer.from(options.appConfig, 'utf8');

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', `${req.method} is not served here`, isolation);
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      send(res, 400, 'text/plain', 'malformed path', isolation);
      return;
    }
    if (pathname === '/app-config.js') {
      res.writeHead(200, {
        ...isolation,
        'Content-Type': contentTypes['.js'],
        'Content-Length': appConfig.length,
        'Cache-Control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : appConfig);
      return;
    }
    serveFile(req, res, root, pathname, isolation);
  });
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  pathname: string,
  extra: Record<string, string>,
): void {
  let file = normalize(join(root, pathname));
  if (file !== root && !file.startsWith(root + sep)) {
    send(res, 403, 'text/plain', 'outside the viewer folder', extra);
    return;
  }
  let size = fileSize(file);
  if (size === undefined) {
    // A client-side route or a folder (no extension): the single-page app's index.html. A missing asset: 404.
    if (extname(pathname) !== '') {
      send(res, 404, 'text/plain', `${pathname} not found`, extra);
      return;
    }
    file = join(root, 'index.html');
    size = fileSize(file) ?? 0;
  }
  res.writeHead(200, {
    ...extra,
    'Content-Type': contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    // The bundles have content hashes in their names, but a test run wants a cold cache anyway.
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  pipeline(createReadStream(file), res, () => undefined);
}

function fileSize(file: string): number | undefined {
  try {
    const stat = statSync(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string>): void {
  res.writeHead(status, { ...extra, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
