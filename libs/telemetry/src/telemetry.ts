// OpenTelemetry for one process: metrics read by Prometheus (/metrics) and, when an exporter is configured, traces.
// Providers are created per process and injected (TELEMETRY of @pacs/runtime), not registered as the API's
// globals: two apps in one test process keep their own, and nothing is reached over the network unless
// PACS_OTEL_TRACES_EXPORTER says so.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  type Span,
  type TextMapGetter,
  type Tracer,
  type UpDownCounter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export const TracesExporter = { None: 'none', Console: 'console', Otlp: 'otlp' } as const;
export type TracesExporter = (typeof TracesExporter)[keyof typeof TracesExporter];

export interface TelemetryOptions {
  /** service.name of every span and of target_info. */
  service: string;
  tracesExporter: TracesExporter;
  /** Base URL of the OTLP/HTTP receiver (otlp only). */
  otlpEndpoint?: string;
  /** Share of new root traces recorded (parent-based). */
  samplerRatio?: number;
  /** Tests: spans go here (simple processor) whatever tracesExporter says. */
  spanExporter?: SpanExporter;
}

/** Seconds: the bucket boundaries OpenTelemetry's HTTP semantic conventions advise, plus long uploads. */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300];

/** The HTTP server instruments (OpenTelemetry semantic conventions, "HTTP metrics"). */
export interface HttpServerInstruments {
  /** http.server.request.duration (s) by method, route template, status: count and duration of requests. */
  duration: Histogram;
  /** http.server.active_requests by method. */
  active: UpDownCounter;
  /** Bytes of request bodies received, by route template. */
  received: Counter;
  /** Bytes sent (headers and body), by route template. */
  sent: Counter;
}

/** The event bus instruments (instrument-event-bus.ts). */
export interface BusInstruments {
  published: Counter;
  consumed: Counter;
  batchSize: Histogram;
  handlerDuration: Histogram;
}

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

export class Telemetry {
  readonly meter: Meter;
  /** Undefined when no spans are made (PACS_OTEL_TRACES_EXPORTER=none). */
  readonly tracer: Tracer | undefined;
  readonly http: HttpServerInstruments;
  readonly bus: BusInstruments;
  private readonly propagator = new W3CTraceContextPropagator();

  private constructor(
    readonly service: string,
    private readonly meterProvider: MeterProvider,
    private readonly prometheus: PrometheusExporter,
    private readonly tracerProvider: TracerProvider | undefined,
  ) {
    this.meter = meterProvider.getMeter('pacs');
    this.tracer = tracerProvider?.getTracer('pacs');
    this.http = {
      duration: this.meter.createHistogram('http.server.request.duration', {
        unit: 's',
        description: 'Duration of HTTP server requests.',
        advice: { explicitBucketBoundaries: durationBuckets },
      }),
      active: this.meter.createUpDownCounter('http.server.active_requests', {
        unit: '{request}',
        description: 'Number of HTTP server requests in flight.',
      }),
      received: this.meter.createCounter('pacs.http.server.request.bytes', {
        unit: 'By',
        description: 'Bytes of HTTP request bodies received.',
      }),
      sent: this.meter.createCounter('pacs.http.server.response.bytes', {
        unit: 'By',
        description: 'Bytes of HTTP responses sent (headers and body).',
      }),
    };
    this.bus = {
      published: this.meter.createCounter('pacs.bus.published', {
        unit: '{message}',
        description: 'Messages published, by topic (instance.stored: instances stored by STOW-RS).',
      }),
      consumed: this.meter.createCounter('pacs.bus.consumed', {
        unit: '{message}',
        description: 'Messages handled, by topic, consumer group and outcome.',
      }),
      batchSize: this.meter.createHistogram('pacs.bus.batch.size', {
        unit: '{message}',
        description: 'Messages per handled batch, by topic and consumer group (the index writes one batch per call).',
        advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
      }),
      handlerDuration: this.meter.createHistogram('pacs.bus.handler.duration', {
        unit: 's',
        description: 'Time to handle one batch, by topic, consumer group and outcome.',
        advice: { explicitBucketBoundaries: durationBuckets },
      }),
    };
  }

  static create(options: TelemetryOptions): Telemetry {
    const resource = resourceFromAttributes({ 'service.name': options.service, 'service.namespace': 'pacs' });
    // The exporter is only a reader here: /metrics is served by our own HTTP server (no port 9464 of its own).
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
    const processor = spanProcessorOf(options);
    const tracerProvider = processor
      ? new TracerProvider({
          resource,
          sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.samplerRatio ?? 1) }),
          spanProcessors: [processor],
        })
      : undefined;
    return new Telemetry(options.service, meterProvider, prometheus, tracerProvider);
  }

  /** Answers a scrape: every metric in the Prometheus text format. */
  serveMetrics(request: IncomingMessage, response: ServerResponse): void {
    this.prometheus.getMetricsRequestHandler(request, response);
  }

  /**
   * A SERVER span for a request, child of the caller's traceparent (W3C Trace Context) when it sent one.
   * Named by the route template, never the URL (PS3.18 paths hold UIDs, queries hold patient names).
   */
  startServerSpan(
    method: string,
    route: string,
    headers: IncomingHttpHeaders,
    attributes: Attributes = {},
  ): Span | undefined {
    if (!this.tracer) return undefined;
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    return this.tracer.startSpan(
      `${method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'http.route': route, ...attributes },
      },
      parent,
    );
  }

  /** Ends a server span with its status (5xx is an error; 4xx is the client's, OpenTelemetry HTTP conventions). */
  endServerSpan(span: Span, status: number, aborted: boolean): void {
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (aborted) span.setAttribute('pacs.aborted', true);
    span.end();
  }

  /** A span of work inside a request or a consumer (bus publish, consume), child of `parent` when given. */
  startSpan(name: string, kind: SpanKind, attributes: Attributes, parent?: Span | Context): Span | undefined {
    if (!this.tracer) return undefined;
    const ctx =
      parent === undefined ? ROOT_CONTEXT : 'spanContext' in parent ? trace.setSpan(ROOT_CONTEXT, parent) : parent;
    return this.tracer.startSpan(name, { kind, attributes }, ctx);
  }

  /** Writes traceparent / tracestate of `span` into outgoing headers (a proxied request, a bus message). */
  inject(span: Span, carrier: Record<string, unknown>): void {
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, {
      set: (c, key, value) => {
        c[key] = value;
      },
    });
  }

  /** The context a traceparent header (or bus message header) names. */
  extract(carrier: Record<string, string | string[] | undefined>): Context {
    return this.propagator.extract(ROOT_CONTEXT, carrier, headerGetter as TextMapGetter<typeof carrier>);
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([this.tracerProvider?.shutdown(), this.meterProvider.shutdown()]);
  }
}

function spanProcessorOf(options: TelemetryOptions): SpanProcessor | undefined {
  if (options.spanExporter) return new SimpleSpanProcessor({ exporter: options.spanExporter });
  switch (options.tracesExporter) {
    case TracesExporter.Console:
      return new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() });
    case TracesExporter.Otlp:
      return new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${(options.otlpEndpoint ?? '').replace(/\/+$/, '')}/v1/traces` }),
      });
    default:
      return undefined;
  }
}
