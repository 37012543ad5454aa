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
    'Base URL of the render service (gateway only; empty: wado serves rendered resources).',
  ),
} as const;

export type SettingName = keyof typeof settings;
export type Config = { readonly [K in SettingName]: z.output<(typeof settings)[K]['schema']> };
