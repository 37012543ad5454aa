// Metrics and spans of the event bus, added around any adapter (Kafka or in-process) without changing its
// contract: messages published and handled per topic, batch sizes (the index's write batches), handler time, and
// — with tracing on — a PRODUCER span per publish whose context travels in the message headers (traceparent),
// and a CONSUMER span per batch linked to the spans that produced its messages.
import { SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import type { BatchHandler, EventBus, ReceivedMessage, SubscribeOptions, BroadcastOptions } from '@pacs/bus';
import type { Telemetry } from './telemetry';

export function instrumentEventBus(bus: EventBus, telemetry: Telemetry): EventBus {
  const { published, consumed, batchSize, handlerDuration } = telemetry.bus;

  const wrap = (topic: string, group: string, handler: BatchHandler): BatchHandler => {
    const attributes = { 'messaging.destination.name': topic, 'messaging.consumer.group.name': group };
    return async (batch: ReceivedMessage[]) => {
      batchSize.record(batch.length, attributes);
      const links: Link[] = [];
      if (telemetry.tracer) {
        for (const m of batch) {
          const context = trace.getSpanContext(telemetry.extract(m.headers));
          if (context) links.push({ context });
        }
      }
      const span = telemetry.tracer?.startSpan(`process ${topic}`, {
        kind: SpanKind.CONSUMER,
        attributes: { ...attributes, 'messaging.batch.message_count': batch.length },
        links,
      });
      const started = performance.now();
      let outcome = 'ok';
      try {
        await handler(batch);
      } catch (error) {
        outcome = 'error';
        span?.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        const done = { ...attributes, outcome };
        handlerDuration.record((performance.now() - started) / 1000, done);
        consumed.add(batch.length, done);
        span?.end();
      }
    };
  };

  return {
    async publish(messages) {
      for (const m of messages) published.add(1, { 'messaging.destination.name': m.topic });
      if (!telemetry.tracer) return bus.publish(messages);
      const spans = messages.map((m) =>
        telemetry.startSpan(`send ${m.topic}`, SpanKind.PRODUCER, { 'messaging.destination.name': m.topic }),
      );
      const traced = messages.map((m, n) => {
        const headers: Record<string, string> = { ...m.headers };
        if (spans[n]) telemetry.inject(spans[n], headers);
        return { ...m, headers };
      });
      try {
        await bus.publish(traced);
      } catch (error) {
        for (const s of spans) s?.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        for (const s of spans) s?.end();
      }
    },
    subscribe: (options: SubscribeOptions) =>
      bus.subscribe({ ...options, handler: wrap(options.topic, options.group, options.handler) }),
    broadcast: (options: BroadcastOptions) =>
      bus.broadcast({ ...options, handler: wrap(options.topic, '(broadcast)', options.handler) }),
    close: () => bus.close(),
  };
}
