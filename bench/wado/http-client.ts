// A small HTTP/1.1 client for the benchmark: keep-alive connections, bodies counted and dropped (never
// parsed or kept), so the client costs the same for every server it measures.
import { Agent, request } from 'node:http';

export interface Fetched {
  status: number;
  bytes: number;
  ms: number;
  headers: Record<string, string | string[] | undefined>;
}

export function httpAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** GET `url`, reading the body to its end; resolves with status, body size and time to the last byte. */
export function getCounted(url: string, headers: Record<string, string>, agent: Agent): Promise<Fetched> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          headers: res.headers,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET `url` and keep the body (small responses only). */
export function getBody(
  url: string,
  headers: Record<string, string>,
  agent: Agent,
): Promise<Fetched & { body: Buffer }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          bytes: body.length,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          headers: res.headers,
          body,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Latencies {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export function latencies(ms: readonly number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    count: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

/**
 * Runs `next()` requests with `inFlight` at a time for `seconds` (or until `maxRequests`); returns the
 * completed count, bytes, wall time and latencies. A non-2xx answer fails the run.
 */
export async function closedLoop(
  inFlight: number,
  seconds: number,
  next: () => Promise<Fetched>,
  maxRequests = Number.POSITIVE_INFINITY,
): Promise<{ requests: number; bytes: number; seconds: number; latency: Latencies }> {
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  const times: number[] = [];
  let bytes = 0;
  let issued = 0;
  const worker = async () => {
    while (Date.now() < deadline && issued < maxRequests) {
      issued++;
      const r = await next();
      if (r.status < 200 || r.status > 299) throw new Error(`HTTP ${r.status}`);
      times.push(r.ms);
      bytes += r.bytes;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { requests: times.length, bytes, seconds: elapsed, latency: latencies(times) };
}
