import { z } from 'zod';
import { languageList } from '../common/languages.js';
import { parseWebhookEvents, WEBHOOK_EVENTS } from '../common/webhook-events.js';

/** The process roles one build can take; see ARCHITECTURE.md. */
export const MODES = ['api', 'worker', 'all'] as const;
export type Mode = (typeof MODES)[number];

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * Keys whose values are secret. They may be given as `NAME_FILE` (a path whose
 * contents are the value), are redacted from logs, and are never echoed in
 * validation errors (no value is, but these especially).
 */
export const SECRET_KEYS = ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'JOB_SECRETS_KEY', 'LLM_API_KEY', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'WEBHOOK_SECRET'] as const;

/** Keys that may also be given as `NAME_FILE`: the secrets, and the token public key. */
export const FILE_KEYS = [...SECRET_KEYS, 'JWT_PUBLIC_KEY'] as const;

/**
 * Every environment variable the service reads, with its default.
 * `.env.example` mirrors this list; a unit test keeps the two in step.
 */
export const envSchema = z.object({
  MODE: z.enum(MODES).default('all'),
  SERVICE_ENV: z.enum(['dev', 'test', 'prod']).default('dev'),
  // Read only to refuse development switches where it says `production` (the Docker images set it).
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  WORKER_PORT: port.default(3001),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  // REDIS_URL is then one node of the cluster; the others are discovered from it.
  REDIS_CLUSTER: bool.default(false),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Encrypts PDF passwords at rest: 32 random bytes, base64 (`openssl rand -base64 32`).
  JOB_SECRETS_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64, e.g. from `openssl rand -base64 32`')
    .optional(),
  JWT_PUBLIC_KEY: z.string().includes('-----BEGIN PUBLIC KEY-----', { message: 'must be a PEM public key' }).optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),

  // `{name}`, a Redis Cluster hash tag, keeps every key of the queues in one slot.
  QUEUE_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_-]{1,64}|\{[A-Za-z0-9_-]{1,62}\})$/, 'letters, digits, _ and -, optionally inside one pair of braces')
    .default('ocrflow'),
  QUEUE_CONCURRENCY: positiveInt.max(64).optional(),
  QUEUE_WORKER_CONCURRENCY: positiveInt.max(64).optional(),
  QUEUE_REMOVE_ON_COMPLETE: z.coerce.number().int().min(0).default(1000),
  QUEUE_REMOVE_ON_FAIL: z.coerce.number().int().min(0).default(5000),
  QUEUE_ATTEMPTS: positiveInt.max(20).default(3),
  // A worker holds a BullMQ lock on its queue entry, renewed every half duration; a lock
  // left to lapse (a dead worker) is found by the stalled check within the interval.
  QUEUE_LOCK_DURATION_MS: positiveInt.min(5_000).default(15_000),
  QUEUE_STALLED_INTERVAL_MS: positiveInt.min(1_000).default(5_000),
  RECONCILE_INTERVAL_MS: positiveInt.default(5_000),
  RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  // A running job's lease in the database, renewed by its worker every sixth of it.
  JOB_LEASE_MS: positiveInt.min(6_000).default(30_000),
  // 0: finished jobs are kept forever.
  JOB_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  MAINTENANCE_INTERVAL_MS: positiveInt.min(1_000).default(3_600_000),

  ARTIFACT_STORE_TYPE: z.enum(['local', 's3']).default('local'),
  ARTIFACT_STORE_PATH: z.string().min(1).default('./data/artifacts'),
  // The s3 store: any S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, DigitalOcean Spaces).
  ARTIFACT_STORE_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  ARTIFACT_STORE_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+\/)*$/, "folders of letters, digits, '_', '.' and '-', each ending in '/'")
    .max(200)
    .default(''),
  S3_REGION: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1').optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_SSE: z.enum(['AES256', 'aws:kms']).optional(),
  S3_SSE_KMS_KEY_ID: z.string().min(1).max(2048).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).max(256).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).max(256).optional(),
  S3_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),

  OCR_WORKERS: positiveInt.max(64).optional(),
  OCR_TIMEOUT_MS: positiveInt.default(120_000),
  OCR_RECYCLE_AFTER: positiveInt.default(200),
  OCR_RECYCLE_ABOVE_PIXELS: positiveInt.default(4_000_000),
  OCR_RECYCLE_RSS_MB: positiveInt.optional(),
  OCR_ORIENTATION_IDLE_MS: positiveInt.default(60_000),
  OCR_MAX_PIXELS: positiveInt.default(12_000_000),
  OCR_DESKEW: bool.default(true),
  OCR_ENGINE: z.enum(['auto', 'tesseractjs', 'native']).default('auto'),
  OCR_MODEL: z.enum(['fast', 'best_int']).default('fast'),
  OCR_PSM: z.enum(['3', '4', '6', '11']).transform(Number).default(6),
  OCR_LANGS: languageList(30).default(['eng', 'deu', 'fra']),
  OCR_DEFAULT_LANGS: languageList(5).default(['eng']),

  MAX_UPLOAD_BYTES: positiveInt.default(20 * 1024 * 1024),
  MAX_IMAGE_PIXELS: positiveInt.default(50_000_000),
  MAX_IMAGE_DIMENSION: positiveInt.default(20_000),
  MAX_PAGES: positiveInt.max(100_000).default(500),
  PDF_RENDER_DPI: positiveInt.min(50).max(1200).default(300),
  MAX_PAGE_PIXELS: positiveInt.default(35_000_000),

  ENABLE_HELMET: bool.default(true),
  CORS_ORIGIN: z.string().min(1).optional(),
  TRUST_PROXY: z.string().min(1).default('false'),
  ENABLE_RATE_LIMIT: bool.default(true),
  RATE_LIMIT_MAX: positiveInt.default(300),
  RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(30_000),
  // A slow sender is cut off (408): the whole request, headers and body, and the headers alone.
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(120_000),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000),

  QUOTA_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  QUOTA_ACTIVE_JOBS: z.coerce.number().int().min(0).default(50),
  QUOTA_PAGES_PER_DAY: z.coerce.number().int().min(0).default(10_000),
  QUOTA_EVENT_STREAMS: z.coerce.number().int().min(0).default(20),

  EXTRACTION_TIMEOUT_MS: positiveInt.default(60_000),

  // The optional LLM field extractor: any OpenAI-compatible chat-completions endpoint.
  LLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  LLM_MODEL: z.string().min(1).max(200).optional(),
  LLM_TIMEOUT_MS: positiveInt.default(30_000),
  LLM_MAX_INPUT_CHARS: positiveInt.default(24_000),

  // Webhooks: on when WEBHOOK_SECRET is set. WEBHOOK_URL receives every job's events (WEBHOOK_EVENTS).
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  WEBHOOK_SECRET: z
    .string()
    .refine(isWebhookSecret, 'must be whsec_ followed by 24 to 64 random bytes in base64, e.g. whsec_$(openssl rand -base64 32)')
    .optional(),
  WEBHOOK_EVENTS: z.preprocess(parseWebhookEvents, z.array(z.enum(WEBHOOK_EVENTS)).min(1)).optional(),
  WEBHOOK_TIMEOUT_MS: positiveInt.max(120_000).default(10_000),
  WEBHOOK_ATTEMPTS: positiveInt.max(25).default(8),
  WEBHOOK_BACKOFF_MS: positiveInt.default(10_000),
  WEBHOOK_CONCURRENCY: positiveInt.max(200).default(10),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),

  ENABLE_METRICS: bool.default(false),
  ENABLE_SWAGGER: bool.default(false),
  // The browser UI at `/`; unset: on in MODE=all, off otherwise.
  ENABLE_UI: bool.optional(),
  // `POST /dev/token` hands a token to anyone who asks: local development only.
  ENABLE_DEV_TOKENS: bool.default(false),
}).superRefine((env, ctx) => {
  // Only the API checks tokens; a worker needs no key.
  if (env.MODE !== 'worker' && !env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'one of JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL is required' });
  }
  // BullMQ's scripts touch many keys of a queue at once, and Redis Cluster runs a
  // script only when all its keys hash to one slot: the hash tag makes sure they do.
  // Refinements run even when a field failed its own check: hence `=== true` and URL.parse.
  if (env.REDIS_CLUSTER === true && !env.QUEUE_PREFIX.startsWith('{')) {
    ctx.addIssue({ code: 'custom', path: ['QUEUE_PREFIX'], message: 'must be a hash tag such as {ocrflow} with REDIS_CLUSTER=true' });
  }
  if (env.REDIS_CLUSTER === true && !['', '/', '/0', undefined].includes(URL.parse(env.REDIS_URL)?.pathname)) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'cannot name a database with REDIS_CLUSTER=true (a cluster has database 0 only)' });
  }
  // Node refuses a headers timeout above the request timeout (a request timeout that failed its own check is reported alone).
  if (env.HTTP_REQUEST_TIMEOUT_MS > 0 && env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' });
  }
  if (env.ARTIFACT_STORE_TYPE === 's3' && !env.ARTIFACT_STORE_BUCKET) {
    ctx.addIssue({ code: 'custom', path: ['ARTIFACT_STORE_BUCKET'], message: 'is required with ARTIFACT_STORE_TYPE=s3' });
  }
  if (!env.S3_ACCESS_KEY_ID !== !env.S3_SECRET_ACCESS_KEY) {
    ctx.addIssue({ code: 'custom', path: ['S3_SECRET_ACCESS_KEY'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together' });
  }
  if (env.S3_SSE_KMS_KEY_ID && env.S3_SSE !== 'aws:kms') {
    ctx.addIssue({ code: 'custom', path: ['S3_SSE_KMS_KEY_ID'], message: 'needs S3_SSE=aws:kms' });
  }
  if (env.LLM_BASE_URL && !env.LLM_MODEL) {
    ctx.addIssue({ code: 'custom', path: ['LLM_MODEL'], message: 'is required with LLM_BASE_URL' });
  }
  // Unsigned webhooks cannot be told from forged ones: no webhook without a secret.
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SECRET'], message: 'is required with WEBHOOK_URL: webhooks are always signed' });
  }
  const notInstalled = env.OCR_DEFAULT_LANGS?.filter((code) => !env.OCR_LANGS?.includes(code)) ?? [];
  if (notInstalled.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['OCR_DEFAULT_LANGS'], message: `${notInstalled.join(', ')} is not in OCR_LANGS` });
  }
  if (env.ENABLE_DEV_TOKENS === true && (env.NODE_ENV === 'production' || env.SERVICE_ENV === 'prod')) {
    ctx.addIssue({ code: 'custom', path: ['ENABLE_DEV_TOKENS'], message: 'must not be true with NODE_ENV=production or SERVICE_ENV=prod: it gives a token to anyone who asks' });
  }
  // Development tokens are signed like `npm run token`'s: HS256 with the shared secret.
  if (env.ENABLE_DEV_TOKENS === true && !env.JWT_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['ENABLE_DEV_TOKENS'], message: 'needs JWT_SECRET, the key development tokens are signed with' });
  }
  if (env.SERVICE_ENV === 'prod' && env.JWT_JWKS_URL?.startsWith('http:')) {
    ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'must be https in prod' });
  }
});

export type Env = z.infer<typeof envSchema>;

/** The Standard Webhooks secret format: `whsec_` and the key's bytes (24 to 64) in base64. */
function isWebhookSecret(value: string): boolean {
  const body = value.startsWith('whsec_') ? value.slice('whsec_'.length) : '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return false;
  const bytes = Buffer.from(body, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}
