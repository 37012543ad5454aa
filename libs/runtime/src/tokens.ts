// Injection tokens of the providers the composition root binds (RuntimeModule): features inject these,
// never the adapters themselves.
export const CONFIG = Symbol('Config');
export const LOGGER = Symbol('Logger');
export const BLOB_STORE = Symbol('BlobStore');
export const EVENT_BUS = Symbol('EventBus');
export const INDEX_DATABASE = Symbol('IndexDatabase');
export const HEALTH = Symbol('HealthRegistry');
/** The process's Telemetry (@pacs/telemetry): its meter for a feature's own metrics, its tracer. */
export const TELEMETRY = Symbol('Telemetry');
