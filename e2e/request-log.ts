// Every request a browser context makes, with what the server must answer: method, URL, the Accept and
// Authorization it sent, status, Content-Type, size and time. The list of what OHIF asks of a DICOMweb
// server comes from here (summarizeRequests).
import type { BrowserContext, Request } from 'playwright-core';

export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  /** Milliseconds since the log started, when the browser issued the request. */
  readonly startedAt: number;
  /** Milliseconds since the log started, when the response was complete or the request failed. */
  readonly endedAt: number;
  readonly accept: string | undefined;
  readonly authorization: string | undefined;
  /** HTTP status; 0 when the request failed without a response. */
  readonly status: number;
  readonly contentType: string | undefined;
  readonly responseBytes: number;
  /** net::ERR_… when the request failed (no response, aborted, blocked by CORS). */
  readonly failure: string | undefined;
}

export class RequestLog {
  readonly requests: LoggedRequest[] = [];
  private readonly started = new Map<Request, number>();
  private readonly pending = new Set<Promise<void>>();
  private readonly t0 = performance.now();

  constructor(context: BrowserContext) {
    context.on('request', (request) => this.started.set(request, this.now()));
    context.on('requestfinished', (request) => this.track(this.record(request, undefined)));
    context.on('requestfailed', (request) =>
      this.track(this.record(request, request.failure()?.errorText ?? 'failed')),
    );
  }

  /** Milliseconds since the log started (the clock of startedAt and endedAt). */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Waits until every finished request has been recorded (headers and sizes are read asynchronously). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Requests to `origin` (e.g. the DICOMweb server's). */
  to(origin: string): LoggedRequest[] {
    return this.requests.filter((r) => new URL(r.url).origin === origin);
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async record(request: Request, failure: string | undefined): Promise<void> {
    const endedAt = this.now();
    const response = failure === undefined ? await request.response() : null;
    // allHeaders(): what the network stack sent, including headers added by the browser.
    const headers = await request.allHeaders().catch(() => request.headers());
    const sizes = failure === undefined ? await request.sizes().catch(() => undefined) : undefined;
    this.requests.push({
      method: request.method(),
      url: request.url(),
      startedAt: this.started.get(request) ?? endedAt,
      endedAt,
      accept: headers.accept,
      authorization: headers.authorization,
      status: response?.status() ?? 0,
      contentType: response ? ((await response.headerValue('content-type').catch(() => null)) ?? undefined) : undefined,
      responseBytes: sizes?.responseBodySize ?? 0,
      failure,
    });
    this.started.delete(request);
  }
}

export interface RequestKind {
  readonly method: string;
  /** The path below the DICOMweb root with UIDs replaced: '/studies/{uid}/series/{uid}/metadata'. */
  readonly resource: string;
  readonly accept: string;
  readonly count: number;
  readonly statuses: readonly number[];
  readonly contentTypes: readonly string[];
  readonly withAuthorization: number;
  readonly medianMillis: number;
  readonly totalBytes: number;
}

/** One line per kind of request (method, resource with UIDs templated, Accept), in order of first use. */
export function summarizeRequests(requests: readonly LoggedRequest[], root: string): RequestKind[] {
  const rootPath = new URL(root).pathname.replace(/\/+$/, '');
  const kinds = new Map<string, { first: LoggedRequest; all: LoggedRequest[] }>();
  for (const request of requests) {
    const key = `${request.method} ${templateResource(request.url, rootPath)} ${request.accept ?? ''}`;
    const kind = kinds.get(key);
    if (kind) kind.all.push(request);
    else kinds.set(key, { first: request, all: [request] });
  }
  return [...kinds.values()].map(({ first, all }) => {
    const millis = all.map((r) => r.endedAt - r.startedAt).sort((a, b) => a - b);
    return {
      method: first.method,
      resource: templateResource(first.url, rootPath),
      accept: first.accept ?? '',
      count: all.length,
      statuses: [...new Set(all.map((r) => r.status))].sort(),
      contentTypes: [...new Set(all.map((r) => withoutBoundary(r.contentType ?? '')))].filter((t) => t !== '').sort(),
      withAuthorization: all.filter((r) => r.authorization !== undefined).length,
      medianMillis: millis[Math.floor(millis.length / 2)] ?? 0,
      totalBytes: all.reduce((sum, r) => sum + r.responseBytes, 0),
    };
  });
}

/** A Content-Type without its boundary parameter (unique to each multipart response). */
export function withoutBoundary(contentType: string): string {
  return contentType
    .split(';')
    .map((part) => part.trim())
    .filter((part) => !/^boundary=/i.test(part))
    .join('; ');
}

// A UID (PS3.5 §9.1): digits and dots, at least two components.
const uidPattern = /^[0-9]+(\.[0-9]+)+$/;

/**
 * '/dicomweb/studies/1.2.3/series/1.2.4?includefield=0008103E&StudyInstanceUID=1.2.3'
 *   → '/studies/{uid}/series/{uid}?includefield=0008103E&StudyInstanceUID={uid}'
 * Query values that are UIDs are templated too; the parameter names and other values stay.
 */
export function templateResource(url: string, rootPath: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.startsWith(rootPath) ? parsed.pathname.slice(rootPath.length) : parsed.pathname;
  const templatedPath = path
    .split('/')
    .map((segment) => (uidPattern.test(decodeURIComponent(segment)) ? '{uid}' : segment))
    .join('/');
  const params = [...parsed.searchParams].map(([name, value]) => {
    const templated = value
      .split(',')
      .map((v) => (uidPattern.test(v) ? '{uid}' : v))
      .join(',');
    return `${name}=${templated}`;
  });
  return params.length > 0 ? `${templatedPath}?${params.join('&')}` : templatedPath;
}
