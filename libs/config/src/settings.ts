// Every setting of every service, with its one default and its description. The only file that reads
// process.env (through loadConfig); docs/configuration.md and the Helm values schema are generated from it.
import { z } from 'zod';

export interface Setting<T extends z.ZodType = z.ZodType> {
  readonly schema: T;
  readonly default: z.input<T>;
  readonly description: string;
  /** Never logged or printed; shown as '<secret>' in effective-config output. */
  readonly secret: boolean;
  /** Which part of the system reads it, for the docs. */
  readonly group: string;
}

const setting = <T extends z.ZodType>(
  group: string,
  schema: T,
  defaultValue: z.input<T>,
  description: string,
  options: { secret?: boolean } = {},
): Setting<T> => ({ group, schema, default: defaultValue, description, secret: options.secret ?? false });

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const url = z.union([z.literal(''), z.url()]);

export const settings = {
  // -- HTTP
  PACS_HTTP_HOST: setting('http', z.string().min(1), '127.0.0.1', 'Address the HTTP server binds to.'),
  PACS_HTTP_PORT: setting('http', port, '8080', 'HTTP port of the service (the gateway or the all-in-one process).'),
  PACS_PUBLIC_BASE_URL: setting(
    'http',
    url,
    '',
    'Absolute URL clients reach the DICOMweb root through (e.g. https://pacs.example.org/dicomweb). Empty: derived from the request (and Forwarded / X-Forwarded-* from trusted proxies).',
  ),
  PACS_TRUSTED_PROXIES: setting(
    'http',
    list,
    'loopback',
    'Comma-separated addresses or CIDRs whose Forwarded / X-Forwarded-* headers are believed ("loopback" for 127.0.0.0/8 and ::1; empty for none).',
  ),
  PACS_CORS_ORIGINS: setting(
    'http',
    list,
    'http://localhost:*,http://127.0.0.1:*',
    'Comma-separated origins allowed to call the API from a browser; "*" allows any; a trailing ":*" allows any port.',
  ),
  PACS_LOG_LEVEL: setting(
    'http',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    'info',
    'Log level.',
  ),

  // -- Embedded defaults
  PACS_DATA_DIR: setting(
    'storage',
    z.string().min(1),
    './data',
    'Folder of the embedded index (PGlite) and the filesystem blob store.',
  ),

  // -- Blob storage
  PACS_STORAGE: setting(
    'storage',
    z.enum(['fs', 's3']),
    'fs',
    'Blob store adapter: fs (files under PACS_DATA_DIR/blobs) or s3.',
  ),
  PACS_S3_ENDPOINT: setting('storage', url, '', 'S3 endpoint URL (empty: AWS default for the region).'),
  PACS_S3_REGION: setting('storage', z.string().min(1), 'us-east-1', 'S3 region.'),
  PACS_S3_BUCKET: setting('storage', z.string().min(3), 'pacs', 'S3 bucket of the originals and derived objects.'),
  PACS_S3_ACCESS_KEY_ID: setting('storage', z.string(), '', 'S3 access key id (empty: the SDK default chain).'),
  PACS_S3_SECRET_ACCESS_KEY: setting('storage', z.string(), '', 'S3 secret access key.', { secret: true }),
  PACS_S3_FORCE_PATH_STYLE: setting(
    'storage',
    bool,
    'true',
    'Path-style S3 addressing (needed by most S3-compatible servers).',
  ),

  // -- Index
  PACS_INDEX: setting(
    'index',
    z.enum(['pglite', 'postgres']),
    'pglite',
    'Index database: embedded PGlite under PACS_DATA_DIR/index, or PostgreSQL.',
  ),
  PACS_DATABASE_URL: setting(
    'index',
    z.string(),
    '',
    'PostgreSQL connection URL (postgres://user:pass@host:port/db).',
    { secret: true },
  ),
  PACS_DATABASE_POOL_SIZE: setting('index', positiveInt, '10', 'PostgreSQL connections per process.'),

  // -- Bus
  PACS_BUS: setting('bus', z.enum(['memory', 'kafka']), 'memory', 'Event bus: in-process (embedded) or Kafka.'),
  PACS_KAFKA_BROKERS: setting('bus', list, '127.0.0.1:9092', 'Comma-separated Kafka bootstrap servers.'),
  PACS_KAFKA_CLIENT_ID: setting('bus', z.string().min(1), 'pacs', 'Kafka client id prefix.'),
  PACS_KAFKA_TOPIC_PREFIX: setting(
    'bus',
    z.string(),
    'pacs.',
    'Prefix of every topic name (several installs can share a cluster).',
  ),

  // -- STOW-RS
  PACS_STOW_MAX_PARTS: setting('stow', positiveInt, '10000', 'Most parts (instances) accepted in one STOW-RS request.'),
  PACS_STOW_MAX_PART_HEADER_BYTES: setting(
    'stow',
    positiveInt,
    '16384',
    'Largest MIME header block of one multipart part.',
  ),
  PACS_STOW_MAX_DICOM_HEADER_BYTES: setting(
    'stow',
    positiveInt,
    '67108864',
    'Largest DICOM header (everything but top-level bulk data and pixel data) read into memory per instance.',
  ),
  PACS_STOW_INDEX_TIMEOUT_MS: setting(
    'stow',
    positiveInt,
    '10000',
    'How long STOW-RS waits for its instances to be indexed before answering 202 with a Warning instead of 200.',
  ),
  PACS_BULK_DATA_THRESHOLD: setting(
    'stow',
    z.coerce.number().int().min(0),
    '1024',
    'Binary values longer than this many bytes are given as BulkDataURI in metadata; shorter ones as InlineBinary.',
  ),

  // -- QIDO-RS
  PACS_QIDO_DEFAULT_LIMIT: setting(
    'qido',
    positiveInt,
    '100',
    'Results per QIDO-RS response when the request gives no limit.',
  ),
  PACS_QIDO_MAX_LIMIT: setting('qido', positiveInt, '10000', 'Largest limit a QIDO-RS request may ask for.'),

  // -- Gateway routing (cluster mode)
  PACS_STOW_URL: setting('gateway', url, '', 'Base URL of the stow service (gateway only).'),
  PACS_QIDO_URL: setting('gateway', url, '', 'Base URL of the qido service (gateway only).'),
  PACS_WADO_URL: setting('gateway', url, '', 'Base URL of the wado service (gateway only).'),
  PACS_RENDER_URL: setting(
    'gateway',
    url,
    '',
    'Base URL of the render service (gateway only; empty: rendered and thumbnail resources answer 501).',
  ),

  // -- HL7 v2 (the hl7 feature: MLLP in, ORU and webhooks out)
  PACS_HL7_MLLP_HOST: setting(
    'hl7',
    z.string(),
    '',
    'Address the MLLP listener binds to (empty: the same as PACS_HTTP_HOST).',
  ),
  PACS_HL7_MLLP_PORT: setting(
    'hl7',
    z.coerce.number().int().min(0).max(65535),
    '2575',
    'TCP port of the MLLP listener that receives ADT and orders from the RIS/EHR (0: any free port, for tests).',
  ),
  PACS_HL7_MAX_MESSAGE_BYTES: setting(
    'hl7',
    positiveInt,
    '1048576',
    'Largest HL7 message accepted over MLLP (ADT and orders are kilobytes); a larger one is answered AR, its bytes dropped as they arrive, and the connection stays open.',
  ),
  PACS_HL7_PRIMARY_ISSUER: setting(
    'hl7',
    z.string(),
    '',
    'Assigning authority (PID-3.4 namespace or universal id) whose identifier is the primary Patient ID; empty: the first PID-3 repetition.',
  ),
  PACS_HL7_SENDING_APPLICATION: setting('hl7', z.string().min(1), 'PACS', 'MSH-3 of the messages the PACS sends.'),
  PACS_HL7_SENDING_FACILITY: setting('hl7', z.string(), '', 'MSH-4 of the messages the PACS sends.'),
  PACS_HL7_OUTBOUND_HOST: setting(
    'hl7',
    z.string(),
    '',
    'Host of the RIS/EHR MLLP listener that receives ORU^R01 reports (empty: no ORU is sent).',
  ),
  PACS_HL7_OUTBOUND_PORT: setting('hl7', port, '2575', 'Port of the RIS/EHR MLLP listener that receives ORU^R01.'),
  PACS_HL7_OUTBOUND_APPLICATION: setting('hl7', z.string(), 'RIS', 'MSH-5 (receiving application) of ORU^R01.'),
  PACS_HL7_OUTBOUND_FACILITY: setting('hl7', z.string(), '', 'MSH-6 (receiving facility) of ORU^R01.'),
  PACS_HL7_ACK_TIMEOUT_MS: setting(
    'hl7',
    positiveInt,
    '30000',
    'How long an outbound ORU waits for its ACK before the outbox tries again later.',
  ),
  PACS_REPORT_WEBHOOK_URLS: setting(
    'hl7',
    list,
    '',
    'Comma-separated URLs that receive an HTTP POST (JSON with the study link) when a report arrives.',
  ),
  PACS_REPORT_STUDY_LINK_TEMPLATE: setting(
    'hl7',
    z.string(),
    '',
    'Link to a study for the referring physician, with {StudyInstanceUID} (e.g. https://viewer.example.org/viewer?StudyInstanceUIDs={StudyInstanceUID}); empty: the DICOMweb study URL.',
  ),
  PACS_OUTBOX_POLL_MS: setting(
    'hl7',
    positiveInt,
    '1000',
    'How often the outbox looks for reports due (ORU^R01, webhooks); new entries are also sent at once.',
  ),
  PACS_OUTBOX_INITIAL_BACKOFF_MS: setting(
    'hl7',
    positiveInt,
    '1000',
    'Wait before the second delivery attempt of an outbox entry; doubled after each failure.',
  ),
  PACS_OUTBOX_MAX_BACKOFF_MS: setting(
    'hl7',
    positiveInt,
    '300000',
    'Longest wait between delivery attempts; an entry is retried until delivered, never dropped.',
  ),
  PACS_HL7_UPS_POLL_MS: setting(
    'hl7',
    z.coerce.number().int().min(0),
    '10000',
    'How often the hl7 feature looks (UPS-RS search) for workitems COMPLETED with a report reference (0: never).',
  ),
  PACS_DICOMWEB_INTERNAL_URL: setting(
    'hl7',
    url,
    '',
    'DICOMweb root the hl7 and worklist features call inside the deployment (UPS-RS for orders, WADO-RS metadata and thumbnails to warm the caches of priors). Empty: PACS_PUBLIC_BASE_URL, else http://127.0.0.1:PACS_HTTP_PORT/dicomweb (this process).',
  ),

  // -- Worklist (UPS-RS) and priors
  PACS_WORKLIST_DEFAULT_LIMIT: setting(
    'worklist',
    positiveInt,
    '100',
    'Workitems per UPS-RS search response when the request gives no limit.',
  ),
  PACS_WORKLIST_MAX_LIMIT: setting('worklist', positiveInt, '1000', 'Largest limit a UPS-RS search may ask for.'),
  PACS_PRIORS_PREFETCH_COUNT: setting(
    'worklist',
    z.coerce.number().int().min(0),
    '3',
    'Prior studies whose metadata and thumbnails are fetched (to warm caches) when a workitem is scheduled (0: none).',
  ),
  PACS_WORKLIST_URL: setting(
    'gateway',
    url,
    '',
    'Base URL of the service that runs the worklist feature (UPS-RS /workitems and /studies/{study}/priors; gateway only).',
  ),

  // -- Security: authentication, authorization, audit (libs/auth; docs/architecture.md, "Security")
  PACS_AUTH_MODE: setting(
    'security',
    z.enum(['none', 'jwt']),
    'none',
    'How requests are authenticated: none (every request is anonymous and acts in partition 1: the embedded default) or jwt (every request but /healthz, /readyz, /metrics and CORS preflights needs an OAuth 2.0 bearer JWT of the OpenID Connect issuer, RFC 6750; scopes dicomweb.read, dicomweb.write, dicomweb.admin).',
  ),
  PACS_OIDC_ISSUER: setting(
    'security',
    z.string(),
    '',
    'The issuer whose tokens are accepted (exact iss claim); required with PACS_AUTH_MODE=jwt. Its /.well-known/openid-configuration names the JWKS when PACS_OIDC_JWKS_URL and PACS_OIDC_JWKS_FILE are empty.',
  ),
  PACS_OIDC_AUDIENCE: setting(
    'security',
    list,
    '',
    'Comma-separated audiences: a token is accepted when its aud claim names one of them; required with PACS_AUTH_MODE=jwt.',
  ),
  PACS_OIDC_JWKS_URL: setting(
    'security',
    url,
    '',
    "URL of the issuer's signing keys (JWKS); fetched, cached, and fetched again when a token names a key it does not have (key rotation).",
  ),
  PACS_OIDC_JWKS_FILE: setting(
    'security',
    z.string(),
    '',
    'Path of a JWKS file for sites that cannot reach the issuer; read at start and again when a token names a key it does not have. Wins over PACS_OIDC_JWKS_URL.',
  ),
  PACS_OIDC_JWKS_CACHE_SECONDS: setting(
    'security',
    positiveInt,
    '600',
    'How long fetched signing keys are used before the JWKS is fetched again.',
  ),
  PACS_OIDC_ALGORITHMS: setting(
    'security',
    list.pipe(
      z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'])).min(1),
    ),
    'RS256,ES256',
    'Comma-separated JWS algorithms a token may be signed with (RSA and ECDSA only: never "none" or a shared secret).',
  ),
  PACS_OIDC_CLOCK_TOLERANCE_SECONDS: setting(
    'security',
    z.coerce.number().int().min(0).max(300),
    '30',
    'Clock skew allowed between this server and the issuer when exp and nbf are checked.',
  ),
  PACS_AUTH_PARTITION_CLAIM: setting(
    'security',
    z.string().min(1),
    'pacs_partition',
    'Token claim naming the partition (tenant) a request acts in; read when PACS_AUTH_PARTITIONS is set.',
  ),
  PACS_AUTH_PARTITIONS: setting(
    'security',
    list.pipe(z.array(z.string().regex(/^[^=\s]+=[1-9]\d{0,8}$/, 'entries are claim-value=partition-id'))),
    '',
    'Comma-separated pairs of a claim value and a partition id, e.g. "radiology=1,cardiology=2". Empty: one archive, every token acts in partition 1. Set: a token whose partition claim is not listed is refused (403).',
  ),
  PACS_SERVICE_CLIENT_ID: setting(
    'security',
    z.string(),
    '',
    "OAuth 2.0 client the hl7 and worklist features act as when they call this deployment's DICOMweb API (PACS_DICOMWEB_INTERNAL_URL) with PACS_AUTH_MODE=jwt: orders become UPS workitems, completed workitems are searched, priors are prefetched. Its access tokens come from the client credentials grant (RFC 6749 §4.4). With PACS_AUTH_PARTITIONS set, its tokens must name partition 1 (where HL7 orders go). Empty with jwt: those calls are not made (orders are answered AE, so the RIS sends them again) and the service warns at start.",
  ),
  PACS_SERVICE_CLIENT_SECRET: setting(
    'security',
    z.string(),
    '',
    'Secret of PACS_SERVICE_CLIENT_ID, sent to the token endpoint in the Authorization header (client_secret_basic, RFC 6749 §2.3.1).',
    { secret: true },
  ),
  PACS_SERVICE_TOKEN_URL: setting(
    'security',
    url,
    '',
    "Token endpoint of the client credentials grant. Empty: the token_endpoint of PACS_OIDC_ISSUER's /.well-known/openid-configuration.",
  ),
  PACS_SERVICE_SCOPES: setting(
    'security',
    list,
    'dicomweb.read,dicomweb.write',
    "Comma-separated scopes PACS_SERVICE_CLIENT_ID asks for (sent space-separated, RFC 6749 §3.3): dicomweb.read for UPS-RS searches and the priors' metadata and thumbnails, dicomweb.write for UPS-RS create and update. Empty: no scope parameter (the issuer's default scopes of the client).",
  ),
  PACS_SERVICE_AUDIENCE: setting(
    'security',
    z.string(),
    '',
    "Sent as the audience parameter of the token request, for issuers that choose a token's aud by it (e.g. Auth0); the token's aud must name one of PACS_OIDC_AUDIENCE. Empty: not sent.",
  ),
  PACS_AUDIT_LOG: setting(
    'security',
    z.string().min(1),
    'stdout',
    'Where the audit trail goes (one record per DICOMweb request, modelled on DICOM PS3.15 A.5): stdout (JSON lines marked "log":"audit" beside the ordinary log, whatever PACS_LOG_LEVEL) or the path of a file records are appended to. Audit records name patients\' studies and queries: route them to a protected store.',
  ),

  // -- Telemetry: metrics and traces (libs/telemetry; docs/architecture.md, "Observability")
  PACS_METRICS_PORT: setting(
    'telemetry',
    z.coerce.number().int().min(0).max(65535),
    '0',
    'Port of the Prometheus /metrics endpoint (OpenMetrics text): 0 serves it on PACS_HTTP_PORT; another port serves it there only, away from the port clients reach.',
  ),
  PACS_OTEL_TRACES_EXPORTER: setting(
    'telemetry',
    z.enum(['none', 'console', 'otlp']),
    'none',
    'Where OpenTelemetry spans go: none (no spans are made; an incoming traceparent is still passed on), console (stdout, for debugging) or otlp (OTLP/HTTP to PACS_OTEL_EXPORTER_OTLP_ENDPOINT).',
  ),
  PACS_OTEL_EXPORTER_OTLP_ENDPOINT: setting(
    'telemetry',
    url,
    'http://127.0.0.1:4318',
    'Base URL of the OTLP/HTTP receiver (an OpenTelemetry Collector); spans are posted to its /v1/traces. Used with PACS_OTEL_TRACES_EXPORTER=otlp.',
  ),
  PACS_OTEL_TRACES_SAMPLER_RATIO: setting(
    'telemetry',
    z.coerce.number().min(0).max(1),
    '1',
    'Share of new traces that are recorded (0 to 1); a request whose traceparent says sampled is always recorded (parent-based sampling).',
  ),
} as const;

export type SettingName = keyof typeof settings;
export type Config = { readonly [K in SettingName]: z.output<(typeof settings)[K]['schema']> };
