import { MemoryEventBus, silentBusLogger, Topic, type ReceivedMessage } from '@pacs/bus';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { instrumentEventBus } from './instrument-event-bus';
import { attachSpan, propagateTrace } from './request-span';
import { Telemetry } from './telemetry';

/** The Prometheus text of a Telemetry, as a scrape would get it. */
async function scrape(telemetry: Telemetry): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => telemetry.serveMetrics(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
  } finally {
    server.close();
  }
}

describe('Telemetry', () => {
  it('makes no spans when the exporter is none, so nothing reaches the network', () => {
    const telemetry = Telemetry.create({ service: 'test', tracesExporter: 'none' });
    expect(telemetry.tracer).toBeUndefined();
    expect(telemetry.startServerSpan('GET', '/x', {})).toBeUndefined();
  });

  it('passes the request span on as a W3C traceparent', async () => {
    const telemetry = Telemetry.create({
      service: 'test',
      tracesExporter: 'none',
      spanExporter: new InMemorySpanExporter(),
    });
    const span = telemetry.startServerSpan('GET', '/dicomweb/studies', {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    })!;
    const request = {};
    attachSpan(request, span);
    const headers: Record<string, string> = { traceparent: 'from-the-client' };
    propagateTrace(request, headers);
    expect(headers.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanContext().spanId}-01`);
    const untouched: Record<string, string> = { traceparent: 'kept' };
    propagateTrace({}, untouched);
    expect(untouched.traceparent).toBe('kept');
    await telemetry.shutdown();
  });

  it('samples new traces by ratio but follows a sampled parent', () => {
    const telemetry = Telemetry.create({
      service: 'test',
      tracesExporter: 'none',
      samplerRatio: 0,
      spanExporter: new InMemorySpanExporter(),
    });
    expect(telemetry.startServerSpan('GET', '/a', {})!.isRecording()).toBe(false);
    const child = telemetry.startServerSpan('GET', '/a', {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    })!;
    expect(child.isRecording()).toBe(true);
  });
});

describe('instrumentEventBus', () => {
  it('counts published and handled messages and batch sizes, and links consumer spans to producer spans', async () => {
    const spans = new InMemorySpanExporter();
    const telemetry = Telemetry.create({ service: 'test', tracesExporter: 'none', spanExporter: spans });
    const bus = instrumentEventBus(new MemoryEventBus({ logger: silentBusLogger }), telemetry);
    const received: ReceivedMessage[] = [];
    const handled = new Promise<void>((resolve) => {
      void bus.subscribe({
        topic: Topic.InstanceStored,
        group: 'index',
        handler: async (batch) => {
          received.push(...batch);
          if (received.length >= 3) resolve();
        },
      });
    });
    await bus.publish(
      ['1', '2', '3'].map((key) => ({
        topic: Topic.InstanceStored,
        key,
        value: new Uint8Array([1]),
        headers: { a: 'b' },
      })),
    );
    await handled;
    await bus.close();
    expect(
      received.every((m) => m.headers.a === 'b' && /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(m.headers.traceparent!)),
    ).toBe(true);
    const text = await scrape(telemetry);
    expect(text).toMatch(/^pacs_bus_published_total\{messaging_destination_name="instance\.stored"[^}]*\} 3$/m);
    expect(text).toMatch(
      /^pacs_bus_consumed_total\{[^}]*messaging_consumer_group_name="index"[^}]*outcome="ok"[^}]*\} 3$/m,
    );
    expect(text).toMatch(/^pacs_bus_batch_size_count\{[^}]*\} [1-3]$/m);
    const producers = spans.getFinishedSpans().filter((s) => s.name === 'send instance.stored');
    const consumers = spans.getFinishedSpans().filter((s) => s.name === 'process instance.stored');
    expect(producers).toHaveLength(3);
    expect(consumers.flatMap((c) => c.links.map((l) => l.context.spanId)).sort()).toEqual(
      producers.map((p) => p.spanContext().spanId).sort(),
    );
    await telemetry.shutdown();
  });
});
