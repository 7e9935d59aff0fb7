import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import { migrate } from '../../scripts/db/migrate.mjs';
import { loadConfig, type AppConfig } from '../../src/config/config.js';

export const SERVER_URL = process.env.TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const JWT_SECRET = 'test-secret-of-at-least-thirty-two-chars';

/**
 * Everything one test file owns: a database migrated from prisma/migrations,
 * a BullMQ prefix and an artifact directory, all removed by {@link TestEnv.cleanup}.
 */
export interface TestEnv {
  databaseUrl: string;
  queuePrefix: string;
  artifactPath: string;
  /** Environment variables for a process of the service using these resources. */
  env: Record<string, string>;
  config(overrides?: Record<string, string>): Readonly<AppConfig>;
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  artifactFiles(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function createTestEnv(name: string): Promise<TestEnv> {
  const suffix = randomBytes(4).toString('hex');
  const database = `ocrflow_test_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${suffix}`;
  const databaseUrl = `${SERVER_URL}/${database}`;
  await migrate(databaseUrl, { log: () => undefined });
  const queuePrefix = `test-${name}-${suffix}`;
  const artifactPath = await mkdtemp(join(tmpdir(), `ocrflow-${name}-`));
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // pool.end() resolves before its clients have closed; the forced DROP DATABASE in cleanup
  // may end one first, and the pool re-emits that as 'error', uncaught without a listener.
  pool.on('error', () => undefined);
  const env = {
    SERVICE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    JWT_SECRET,
    QUEUE_PREFIX: queuePrefix,
    ARTIFACT_STORE_PATH: artifactPath,
    OCR_WORKERS: '1',
    QUEUE_CONCURRENCY: '1',
    HOST: '127.0.0.1',
    // Polling tests must never trip the limiters; their own tests set small budgets.
    RATE_LIMIT_MAX: '1000000',
    QUOTA_REQUESTS_PER_MINUTE: '0',
  };
  return {
    databaseUrl,
    queuePrefix,
    artifactPath,
    env,
    config: (overrides = {}) => loadConfig({ ...env, ...overrides }),
    sql: async (text, values) => (await pool.query(text, values)).rows,
    artifactFiles: async () => (await readdir(artifactPath, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name)),
    cleanup: async () => {
      await pool.end();
      await dropDatabase(database);
      await deleteQueueKeys(queuePrefix);
      await rm(artifactPath, { recursive: true, force: true });
    },
  };
}

async function dropDatabase(database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${SERVER_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Deletes every key under a BullMQ prefix: what a Redis restart without persistence does. */
export async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A bearer token as a client would send it, allowed to read and write jobs unless `scope` says otherwise. */
export async function token(subject: string, secret = JWT_SECRET, scope = 'jobs:read jobs:write'): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
