// @pacs/telemetry — OpenTelemetry metrics (served to Prometheus on /metrics) and traces (none | console | OTLP)
// of one process (docs/architecture.md, "Observability").
export {
  Telemetry,
  TracesExporter,
  type BusInstruments,
  type HttpServerInstruments,
  type TelemetryOptions,
} from './telemetry';
export { attachSpan, propagateTrace, spanOf, traceIdOf } from './request-span';
export { instrumentEventBus } from './instrument-event-bus';
