import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { envSchema, FILE_KEYS, type Env, type Mode } from './config.schema.js';
import { DEFAULT_WEBHOOK_EVENTS, type WebhookEvent } from '../common/webhook-events.js';

/** The typed, frozen configuration every part of the service reads. */
export interface AppConfig {
  mode: Mode;
  logLevel: Env['LOG_LEVEL'];
  http: {
    host: string;
    port: number;
    workerPort: number;
    helmet: boolean;
    shutdownTimeoutMs: number;
    /** Time to receive a whole request, headers and body, before a 408 (Node's `requestTimeout`). Default 120 s. */
    requestTimeoutMs: number;
    /** Time to receive a request's headers before a 408 (Node's `headersTimeout`). Default 10 s. */
    headersTimeoutMs: number;
    /** Origins allowed by CORS; CORS is off when absent. */
    corsOrigins?: string[] | true;
    /** Fastify's trustProxy: false, true, or the proxies' addresses/CIDRs (comma-separated). */
    trustProxy: boolean | string;
    /** Per-client request budget, counted in Redis so every API replica shares it. */
    rateLimit?: { max: number; windowMs: number };
  };
  /**
   * The key PDF passwords are encrypted with while their job waits (AES-256-GCM);
   * every API and worker process needs the same one. Absent: `MODE=all` makes one
   * per process, and an API process refuses passwords. 32 bytes, in base64.
   */
  jobSecretsKey?: string;
  databaseUrl: string;
  redisUrl: string;
  /** `redisUrl` is a seed node of a Redis Cluster; `queue.prefix` is then a hash tag. */
  redisCluster: boolean;
  /** Bearer-token verification; at least one key source outside worker mode. */
  auth: {
    /** HS256 shared secret. */
    jwtSecret?: string;
    /** PEM public key (RSA: RS256, EC: ES256/384/512 by curve). */
    publicKey?: string;
    /** An issuer's JSON Web Key Set, fetched and cached; refetched on an unknown `kid` at most once per cooldown. */
    jwks?: { url: string; cooldownMs: number };
    clockSkewSeconds: number;
    issuer?: string;
    audience?: string;
  };
  queue: {
    prefix: string;
    concurrency: number;
    attempts: number;
    removeOnComplete: number;
    removeOnFail: number;
    /** BullMQ's lock on a running entry, and how often workers look for entries whose lock lapsed. */
    lockDurationMs: number;
    stalledIntervalMs: number;
  };
  /**
   * The worker's sweep for jobs Redis forgot or whose worker was lost, every
   * `intervalMs`; `leaseMs`: how long a running job's worker may go without
   * renewing it before the job is taken back.
   */
  reconcile: { intervalMs: number; graceMs: number; leaseMs: number };
  /** The maintenance job (one worker at a time, every `intervalMs`, default 1 h): finished jobs older than `days` are purged (0, the default: kept forever), and expired idempotency keys. */
  retention: { days: number; intervalMs: number };
  artifacts: LocalStoreConfig | S3StoreConfig;
  ocr: {
    workers: number;
    timeoutMs: number;
    recycleAfter: number;
    recycleAbovePixels: number;
    /** Absent: no RSS threshold. */
    recycleAboveRssBytes?: number;
    /** How long the orientation engine stays up after the last page that needed it. */
    orientationIdleMs: number;
    /** Straighten slightly tilted scans before reading. */
    deskew: boolean;
    /** `auto`: the native engine (Tesseract's own library) when it starts, tesseract.js otherwise. */
    engine: Env['OCR_ENGINE'];
    /** tesseract.js's model; the native engine uses the one installed with Tesseract. */
    model: Env['OCR_MODEL'];
    /** Tesseract's page segmentation mode: 6 one block (receipts, forms), 3 automatic layout (columns). */
    psm: 3 | 4 | 6 | 11;
    /** Every language a job may ask for, checked to be installed when the worker starts. */
    languages: string[];
    /** What a job reads with unless it asks for others; a subset of `languages`. */
    defaultLanguages: string[];
  };
  /** The LLM field extractor; absent: fields are extracted locally only. */
  llm?: { baseUrl: string; apiKey?: string; model: string; timeoutMs: number; maxInputChars: number };
  /** How long one extraction's local rules may take (an LLM's completions get their own timeout on top); default 60 s. */
  extractionTimeoutMs: number;
  /**
   * Signed webhooks; absent (no `WEBHOOK_SECRET`): off, and an upload naming a
   * `callbackUrl` is refused.
   */
  webhooks?: {
    /** `whsec_…`; the HMAC key is its base64 part. Never logged. */
    secret: string;
    /** The operator's endpoint for every job's events (trusted: no address check). */
    url?: string;
    /** What `url` receives; default the four final events. */
    events: readonly WebhookEvent[];
    /** One attempt's limit, connect to last byte read; default 10 s. */
    timeoutMs: number;
    /** Attempts per delivery sequence; default 8. */
    attempts: number;
    /** First retry's delay, doubled each time, with jitter; default 10 s. */
    backoffMs: number;
    /** Deliveries in flight per worker; default 10. */
    concurrency: number;
    /** Allow callback URLs on loopback, private and other non-public addresses; default false. */
    allowPrivate: boolean;
  };
  /** Serve Prometheus metrics on `/metrics` (the API's port, or a worker's health port). */
  metrics: boolean;
  /** Serve the OpenAPI document on `/docs/json` and its UI on `/docs` (API modes). */
  swagger: boolean;
  /** Serve the browser UI on `/` and page images on `/jobs/{id}/pages/{n}/image` (API modes); default on in `MODE=all` only. */
  ui: boolean;
  /** `POST /dev/token` signs a short-lived token for whoever asks; never with `NODE_ENV=production`. Default off. */
  devTokens: boolean;
  /** Per-subject quotas; 0 turns one off. */
  /** `eventStreams` is per API process: open SSE connections hold that process's sockets. */
  quotas: { requestsPerMinute: number; activeJobs: number; pagesPerDay: number; eventStreams: number };
  /** Upload, image and document caps; `image` is checked at upload and again in the worker. */
  limits: {
    maxUploadBytes: number;
    image: { maxPixels: number; maxDimension: number };
    maxPages: number;
    pdf: { dpi: number; maxPagePixels: number };
    ocrMaxPixels: number;
  };
}

export interface LocalStoreConfig {
  type: 'local';
  path: string;
}

export interface S3StoreConfig {
  type: 's3';
  bucket: string;
  /** Prepended to every key: '' or folders ending in '/'. */
  prefix: string;
  /** Absent: the SDK's own (AWS_REGION, the shared config file). */
  region?: string;
  /** Absent: AWS S3 itself. */
  endpoint?: string;
  forcePathStyle: boolean;
  serverSideEncryption?: { algorithm: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  /** Absent: the SDK's default chain (environment, web identity, ECS task role, instance profile). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestTimeoutMs: number;
}

/** Raised when the environment is invalid; the message names keys, never values. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Treats empty values as unset (so `.env.example` can list optional keys), and
 * resolves `NAME_FILE` for {@link FILE_KEYS}: Docker and Kubernetes mount secrets as files.
 */
function normalise(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const resolved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  for (const key of FILE_KEYS) {
    const file = env[`${key}_FILE`];
    if (!file) continue;
    try {
      resolved[key] = readFileSync(file, 'utf8').trim();
    } catch {
      problems.push(`${key}_FILE: cannot read the file it names`);
    }
  }
  return resolved;
}

/**
 * Parses the environment once. Throws {@link ConfigError} listing every bad or
 * missing variable by name, so an operator fixes them all in one go.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Readonly<AppConfig> {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(normalise(source, problems));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      // zod messages describe the expected shape; none of them quote the input.
      const missing = issue.code === 'invalid_type' && !source[key];
      problems.push(`${key}: ${missing ? 'required' : issue.message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data!;
  const cores = availableParallelism();
  return deepFreeze({
    mode: e.MODE,
    logLevel: e.LOG_LEVEL,
    http: {
      host: e.HOST,
      port: e.PORT,
      workerPort: e.WORKER_PORT,
      helmet: e.ENABLE_HELMET,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      corsOrigins: e.CORS_ORIGIN === '*' ? true : e.CORS_ORIGIN?.split(',').map((o) => o.trim()),
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
      rateLimit: e.ENABLE_RATE_LIMIT ? { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW_MS } : undefined,
    },
    jobSecretsKey: e.JOB_SECRETS_KEY,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    auth: {
      jwtSecret: e.JWT_SECRET,
      publicKey: e.JWT_PUBLIC_KEY,
      jwks: e.JWT_JWKS_URL ? { url: e.JWT_JWKS_URL, cooldownMs: e.JWT_JWKS_COOLDOWN_MS } : undefined,
      clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    queue: {
      prefix: e.QUEUE_PREFIX,
      concurrency: e.QUEUE_CONCURRENCY ?? e.QUEUE_WORKER_CONCURRENCY ?? cores,
      attempts: e.QUEUE_ATTEMPTS,
      removeOnComplete: e.QUEUE_REMOVE_ON_COMPLETE,
      removeOnFail: e.QUEUE_REMOVE_ON_FAIL,
      lockDurationMs: e.QUEUE_LOCK_DURATION_MS,
      stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS,
    },
    reconcile: { intervalMs: e.RECONCILE_INTERVAL_MS, graceMs: e.RECONCILE_GRACE_MS, leaseMs: e.JOB_LEASE_MS },
    retention: { days: e.JOB_RETENTION_DAYS, intervalMs: e.MAINTENANCE_INTERVAL_MS },
    artifacts: artifactStore(e),
    ocr: {
      workers: e.OCR_WORKERS ?? cores,
      timeoutMs: e.OCR_TIMEOUT_MS,
      recycleAfter: e.OCR_RECYCLE_AFTER,
      recycleAbovePixels: e.OCR_RECYCLE_ABOVE_PIXELS,
      recycleAboveRssBytes: e.OCR_RECYCLE_RSS_MB && e.OCR_RECYCLE_RSS_MB * 1024 * 1024,
      orientationIdleMs: e.OCR_ORIENTATION_IDLE_MS,
      deskew: e.OCR_DESKEW,
      engine: e.OCR_ENGINE,
      model: e.OCR_MODEL,
      psm: e.OCR_PSM as 3 | 4 | 6 | 11,
      languages: e.OCR_LANGS,
      defaultLanguages: e.OCR_DEFAULT_LANGS,
    },
    llm: e.LLM_BASE_URL
      ? { baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY, model: e.LLM_MODEL!, timeoutMs: e.LLM_TIMEOUT_MS, maxInputChars: e.LLM_MAX_INPUT_CHARS }
      : undefined,
    extractionTimeoutMs: e.EXTRACTION_TIMEOUT_MS,
    webhooks: e.WEBHOOK_SECRET
      ? {
          secret: e.WEBHOOK_SECRET,
          url: e.WEBHOOK_URL,
          events: e.WEBHOOK_EVENTS ?? DEFAULT_WEBHOOK_EVENTS,
          timeoutMs: e.WEBHOOK_TIMEOUT_MS,
          attempts: e.WEBHOOK_ATTEMPTS,
          backoffMs: e.WEBHOOK_BACKOFF_MS,
          concurrency: e.WEBHOOK_CONCURRENCY,
          allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
        }
      : undefined,
    metrics: e.ENABLE_METRICS,
    swagger: e.ENABLE_SWAGGER,
    ui: e.ENABLE_UI ?? e.MODE === 'all',
    devTokens: e.ENABLE_DEV_TOKENS,
    quotas: {
      requestsPerMinute: e.QUOTA_REQUESTS_PER_MINUTE,
      activeJobs: e.QUOTA_ACTIVE_JOBS,
      pagesPerDay: e.QUOTA_PAGES_PER_DAY,
      eventStreams: e.QUOTA_EVENT_STREAMS,
    },
    limits: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      image: { maxPixels: e.MAX_IMAGE_PIXELS, maxDimension: e.MAX_IMAGE_DIMENSION },
      maxPages: e.MAX_PAGES,
      pdf: { dpi: e.PDF_RENDER_DPI, maxPagePixels: e.MAX_PAGE_PIXELS },
      ocrMaxPixels: e.OCR_MAX_PIXELS,
    },
  });
}

function artifactStore(e: Env): LocalStoreConfig | S3StoreConfig {
  if (e.ARTIFACT_STORE_TYPE === 'local') return { type: 'local', path: e.ARTIFACT_STORE_PATH };
  return {
    type: 's3',
    bucket: e.ARTIFACT_STORE_BUCKET!,
    prefix: e.ARTIFACT_STORE_PREFIX,
    region: e.S3_REGION,
    endpoint: e.S3_ENDPOINT,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    serverSideEncryption: e.S3_SSE && { algorithm: e.S3_SSE, kmsKeyId: e.S3_SSE_KMS_KEY_ID },
    credentials: e.S3_ACCESS_KEY_ID ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY! } : undefined,
    requestTimeoutMs: e.S3_REQUEST_TIMEOUT_MS,
  };
}

function parseTrustProxy(value: string): boolean | string {
  return value === 'true' || value === 'false' ? value === 'true' : value;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
