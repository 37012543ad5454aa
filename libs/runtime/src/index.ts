export { bootstrap, createApp, run, type App, type BootstrapOptions } from './bootstrap';
export { RuntimeModule, type Feature, type Requirement } from './runtime.module';
export { RequestContext, type RequestScope } from './request-context';
export { HealthRegistry, type HealthCheck } from './health';
export { createLogger, type Logger } from './logger';
export { originMatcher } from './cors';
export { BLOB_STORE, CONFIG, EVENT_BUS, HEALTH, INDEX_DATABASE, LOGGER, TELEMETRY } from './tokens';
export { markAnsweredUpstream } from './observe-requests';
export { publicRoutes } from './authenticate-requests';
