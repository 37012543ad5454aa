// The server span of a request travels with the request object, so that what proxies it (the gateway) can pass
// its context on (W3C Trace Context, traceparent) without the HTTP layer knowing about the proxy.
import { TraceFlags, type Span } from '@opentelemetry/api';

const spanKey = Symbol('pacs.span');
type Carrier = { [spanKey]?: Span };

export const spanOf = (request: object): Span | undefined => (request as Carrier)[spanKey];

export function attachSpan(request: object, span: Span): void {
  (request as Carrier)[spanKey] = span;
}

/**
 * Writes the traceparent (and tracestate) of the request's span into the headers of an outgoing request, so
 * the next service's span is its child. Without a span (tracing off here) the caller's own traceparent,
 * forwarded as received, keeps the trace whole.
 */
export function propagateTrace(request: object, headers: Record<string, string | string[]>): void {
  const span = spanOf(request);
  if (!span) return;
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  // W3C Trace Context §3.2: version "00", trace-id, parent-id, trace-flags.
  headers.traceparent = `00-${traceId}-${spanId}-${(traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`;
  const state = traceState?.serialize();
  if (state) headers.tracestate = state;
  else delete headers.tracestate;
}

/** The trace id of the request's span, for log and audit lines (undefined without tracing). */
export const traceIdOf = (request: object): string | undefined => spanOf(request)?.spanContext().traceId;
