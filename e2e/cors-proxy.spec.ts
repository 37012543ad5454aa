import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  splitIncludeField,
  startCorsProxy,
  thumbnailToRendered,
  type ProxyExchange,
  type RunningCorsProxy,
} from './cors-proxy.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An upstream that records each request and answers 200 with a small JSON body and its own headers. */
async function startUpstream(handler?: (req: IncomingMessage, seen: Seen) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    seen.push(entry);
    if (handler) {
      handler(req, entry);
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/dicom+json' });
        res.end('[]');
      });
      return;
    }
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (entry.body += chunk));
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/dicom+json', 'Access-Control-Allow-Origin': 'http://evil' });
      res.end('[]');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('startCorsProxy', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let proxy: RunningCorsProxy;
  const exchanges: ProxyExchange[] = [];

  afterEach(async () => {
    await proxy?.close();
    await close(upstream.server);
    exchanges.length = 0;
  });

  it('answers a preflight itself, allowing the requested method and headers', async () => {
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: upstream.origin, bearerToken: 'secret' });
    const response = await fetch(`${proxy.origin}/dicomweb/studies`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://viewer.test',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization,accept',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://viewer.test');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,accept');
    expect(response.headers.get('access-control-allow-methods')).toContain('GET');
    expect(upstream.seen).toEqual([]);
  });

  it("adds CORS headers to the upstream's answer, replacing the upstream's own", async () => {
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: upstream.origin, onExchange: (e) => exchanges.push(e) });
    const response = await fetch(`${proxy.origin}/dicomweb/studies?limit=1`, {
      headers: { Origin: 'http://viewer.test', Accept: 'application/dicom+json' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('[]');
    expect(response.headers.get('access-control-allow-origin')).toBe('http://viewer.test');
    expect(response.headers.get('access-control-expose-headers')).toContain('Content-Type');
    expect(upstream.seen.map((s) => s.url)).toEqual(['/dicomweb/studies?limit=1']);
    expect(exchanges).toMatchObject([{ method: 'GET', status: 200, accept: 'application/dicom+json' }]);
  });

  it('keeps the Host header, so absolute URLs the upstream builds point at the proxy', async () => {
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: upstream.origin });
    await fetch(`${proxy.origin}/dicomweb/studies`);
    expect(upstream.seen[0].headers.host).toBe(new URL(proxy.origin).host);
  });

  it('answers 401 with a Bearer challenge when the token is missing or wrong, and forwards nothing', async () => {
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: upstream.origin, bearerToken: 'secret' });
    const missing = await fetch(`${proxy.origin}/dicomweb/studies`, { headers: { Origin: 'http://viewer.test' } });
    const wrong = await fetch(`${proxy.origin}/dicomweb/studies`, { headers: { Authorization: 'Bearer nope' } });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="dicomweb"');
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://viewer.test');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(upstream.seen).toEqual([]);
  });

  it('forwards a request with the right token without the token', async () => {
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: upstream.origin, bearerToken: 'secret' });
    const response = await fetch(`${proxy.origin}/dicomweb/studies`, { headers: { Authorization: 'Bearer secret' } });
    expect(response.status).toBe(200);
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.seen[0].headers.authorization).toBeUndefined();
  });

  it('streams a request body to the upstream before the client has sent all of it', async () => {
    let firstChunkArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (firstChunkArrived = resolve));
    upstream = await startUpstream((req, seen) => {
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        seen.body += chunk;
        firstChunkArrived();
      });
    });
    proxy = await startCorsProxy({ upstream: upstream.origin });
    const client = request(`${proxy.origin}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=x' },
    });
    const answered = new Promise<number>((resolve, reject) => {
      client.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      client.on('error', reject);
    });
    client.write('first part ');
    // The upstream sees the first chunk while the request is still open: nothing waits for the whole body.
    await arrived;
    expect(upstream.seen[0].body).toBe('first part ');
    client.end('second part');
    expect(await answered).toBe(200);
    expect(upstream.seen[0].body).toBe('first part second part');
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    upstream = await startUpstream();
    const gone = upstream.origin;
    await close(upstream.server);
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: gone });
    const response = await fetch(`${proxy.origin}/dicomweb/studies`);
    expect(response.status).toBe(502);
  });

  it('asks the upstream for rendered resources instead of thumbnails when told to', async () => {
    upstream = await startUpstream();
    proxy = await startCorsProxy({ upstream: upstream.origin, thumbnailAsRendered: true, splitIncludeField: true });
    await fetch(`${proxy.origin}/dicomweb/studies/1.2/series/1.3/thumbnail?viewport=256%2C256`);
    await fetch(`${proxy.origin}/dicomweb/studies?includefield=00081030%2C00080060&limit=1`);
    expect(upstream.seen.map((s) => s.url)).toEqual([
      '/dicomweb/studies/1.2/series/1.3/rendered?viewport=256,256',
      '/dicomweb/studies?includefield=00081030&includefield=00080060&limit=1',
    ]);
  });
});

describe('thumbnailToRendered', () => {
  it('replaces a final thumbnail segment and keeps the query', () => {
    expect(thumbnailToRendered('/s/1/series/2/instances/3/thumbnail?viewport=64%2C64')).toBe(
      '/s/1/series/2/instances/3/rendered?viewport=64,64',
    );
    expect(thumbnailToRendered('/s/1/thumbnail')).toBe('/s/1/rendered');
  });

  it('leaves other paths alone', () => {
    expect(thumbnailToRendered('/s/1/series/2/metadata?viewport=64%2C64')).toBe(
      '/s/1/series/2/metadata?viewport=64%2C64',
    );
    expect(thumbnailToRendered('/s/thumbnail/metadata')).toBe('/s/thumbnail/metadata');
  });
});

describe('splitIncludeField', () => {
  it('turns a comma-separated includefield into one parameter per attribute, in order', () => {
    expect(splitIncludeField('/studies?limit=1&includefield=00081030%2C00080060,00100030&offset=0')).toBe(
      '/studies?limit=1&includefield=00081030&includefield=00080060&includefield=00100030&offset=0',
    );
  });

  it('leaves other parameters byte for byte, wildcards included', () => {
    expect(splitIncludeField('/studies?PatientName=DOE*&fuzzymatching=true')).toBe(
      '/studies?PatientName=DOE*&fuzzymatching=true',
    );
    expect(splitIncludeField('/studies')).toBe('/studies');
  });
});
