import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { envSchema } from './config.schema.js';

const base = {
  DATABASE_URL: 'postgresql://postgres:hunter2-secret@127.0.0.1:5432/ocrflow',
  JWT_SECRET: 'x'.repeat(32),
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(base);
    expect(config.mode).toBe('all');
    expect(config.http.port).toBe(3000);
    expect(config.http.workerPort).toBe(3001);
    expect(config.artifacts).toEqual({ type: 'local', path: './data/artifacts' });
    expect(config.queue.concurrency).toBeGreaterThan(0);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('configures the LLM extractor only with a base URL and a model, the key readable from a file', () => {
    expect(loadConfig(base).llm).toBeUndefined();
    expect(loadConfig({ ...base, LLM_BASE_URL: '', LLM_MODEL: '' }).llm).toBeUndefined();
    expect(problemsOf({ ...base, LLM_BASE_URL: 'http://127.0.0.1:8080/v1' }).join('\n')).toMatch(/^LLM_MODEL: /m);
    expect(problemsOf({ ...base, LLM_BASE_URL: 'ftp://llm.example/v1', LLM_MODEL: 'm' }).join('\n')).toMatch(/^LLM_BASE_URL: /m);
    const keyFile = join(tmpdir(), `llm-key-${process.pid}`);
    writeFileSync(keyFile, 'sk-from-a-file\n');
    const { llm } = loadConfig({ ...base, LLM_BASE_URL: 'http://127.0.0.1:8080/v1', LLM_MODEL: 'local', LLM_API_KEY_FILE: keyFile });
    expect(llm).toMatchObject({ baseUrl: 'http://127.0.0.1:8080/v1', model: 'local', apiKey: 'sk-from-a-file', timeoutMs: 30_000 });
  });

  it('names every bad or missing variable and never echoes a value', () => {
    const problems = problemsOf({ MODE: 'sideways', PORT: 'eighty', JWT_SECRET: 'short-secret-value' });
    const text = problems.join('\n');
    expect(text).toMatch(/^MODE: /m);
    expect(text).toMatch(/^PORT: /m);
    expect(text).toMatch(/^DATABASE_URL: required$/m);
    expect(text).toMatch(/^JWT_SECRET: /m);
    expect(text).not.toContain('sideways');
    expect(text).not.toContain('eighty');
    expect(text).not.toContain('short-secret-value');
  });

  it('reads secrets from NAME_FILE', () => {
    const file = join(tmpdir(), `ocrflow-secret-${process.pid}`);
    writeFileSync(file, `${'s'.repeat(40)}\n`);
    const config = loadConfig({ DATABASE_URL: base.DATABASE_URL, JWT_SECRET_FILE: file });
    expect(config.auth.jwtSecret).toBe('s'.repeat(40));
    expect(problemsOf({ ...base, JWT_SECRET_FILE: '/nonexistent/secret' })).toEqual([
      'JWT_SECRET_FILE: cannot read the file it names',
    ]);
  });

  it('needs a token key outside worker mode: a secret, a public key (also from a file) or a key set', () => {
    const { DATABASE_URL } = base;
    expect(problemsOf({ DATABASE_URL })).toEqual(['JWT_SECRET: one of JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL is required']);
    expect(loadConfig({ DATABASE_URL, MODE: 'worker' }).auth.jwtSecret).toBeUndefined();

    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = join(tmpdir(), `ocrflow-public-key-${process.pid}.pem`);
    writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
    expect(loadConfig({ DATABASE_URL, JWT_PUBLIC_KEY_FILE: file }).auth.publicKey).toContain('BEGIN PUBLIC KEY');
    expect(problemsOf({ DATABASE_URL, JWT_PUBLIC_KEY: 'not a key' })).toEqual(['JWT_PUBLIC_KEY: must be a PEM public key']);

    const jwks = 'http://issuer.internal/jwks.json';
    expect(loadConfig({ DATABASE_URL, JWT_JWKS_URL: jwks }).auth.jwks).toEqual({ url: jwks, cooldownMs: 30_000 });
    expect(problemsOf({ DATABASE_URL, JWT_JWKS_URL: jwks, SERVICE_ENV: 'prod' })).toEqual(['JWT_JWKS_URL: must be https in prod']);
  });

  it('accepts a Redis Cluster hash tag as QUEUE_PREFIX, and nothing else in braces', () => {
    expect(loadConfig({ ...base, QUEUE_PREFIX: '{ocrflow}' }).queue.prefix).toBe('{ocrflow}');
    for (const bad of ['{ocrflow', 'ocr{flow}', '{a}{b}', 'ocr flow']) {
      expect(problemsOf({ ...base, QUEUE_PREFIX: bad })[0], bad).toMatch(/^QUEUE_PREFIX: /);
    }
  });

  it('refuses a Redis Cluster whose QUEUE_PREFIX is not a hash tag', () => {
    const cluster = { ...base, REDIS_URL: 'redis://10.0.0.5:7000', REDIS_CLUSTER: 'true' };
    expect(problemsOf({ ...cluster, QUEUE_PREFIX: 'ocrflow' })).toEqual([
      'QUEUE_PREFIX: must be a hash tag such as {ocrflow} with REDIS_CLUSTER=true',
    ]);
    expect(problemsOf(cluster)).toEqual(['QUEUE_PREFIX: must be a hash tag such as {ocrflow} with REDIS_CLUSTER=true']);
    const config = loadConfig({ ...cluster, QUEUE_PREFIX: '{ocrflow}' });
    expect(config).toMatchObject({ redisUrl: 'redis://10.0.0.5:7000', redisCluster: true, queue: { prefix: '{ocrflow}' } });
    expect(loadConfig(base).redisCluster).toBe(false);
    expect(problemsOf({ ...cluster, REDIS_URL: 'redis://10.0.0.5:7000/2', QUEUE_PREFIX: '{ocrflow}' })).toEqual([
      'REDIS_URL: cannot name a database with REDIS_CLUSTER=true (a cluster has database 0 only)',
    ]);
    // A bad URL is reported as such, not as a crash of the cluster checks.
    expect(problemsOf({ ...cluster, REDIS_URL: 'not a url', QUEUE_PREFIX: '{ocrflow}' })).toEqual(['REDIS_URL: Invalid URL']);
  });

  it('bounds slow senders: request and headers timeouts, the headers one no longer than the request one', () => {
    expect(loadConfig(base).http).toMatchObject({ requestTimeoutMs: 120_000, headersTimeoutMs: 10_000 });
    expect(loadConfig({ ...base, HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '5000' }).http).toMatchObject({
      requestTimeoutMs: 5_000,
      headersTimeoutMs: 5_000,
    });
    expect(problemsOf({ ...base, HTTP_REQUEST_TIMEOUT_MS: '5000' })).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS',
    ]);
    expect(problemsOf({ ...base, HTTP_REQUEST_TIMEOUT_MS: '0' })).toEqual([expect.stringMatching(/^HTTP_REQUEST_TIMEOUT_MS: /)]);
  });

  it('reads the page segmentation mode: 6 unless OCR_PSM names one of 3, 4, 6, 11', () => {
    expect(loadConfig(base).ocr.psm).toBe(6);
    expect(loadConfig({ ...base, OCR_PSM: '3' }).ocr.psm).toBe(3);
    expect(() => loadConfig({ ...base, OCR_PSM: '0' })).toThrow(/OCR_PSM/);
  });

  it('reads the installed OCR languages and a default among them', () => {
    expect(loadConfig(base).ocr).toMatchObject({ languages: ['eng', 'deu', 'fra'], defaultLanguages: ['eng'] });
    expect(loadConfig({ ...base, OCR_LANGS: 'deu+eng', OCR_DEFAULT_LANGS: 'deu+eng' }).ocr).toMatchObject({ languages: ['deu', 'eng'], defaultLanguages: ['deu', 'eng'] });
    expect(() => loadConfig({ ...base, OCR_LANGS: 'deu', OCR_DEFAULT_LANGS: 'eng' })).toThrow(/OCR_DEFAULT_LANGS: eng is not in OCR_LANGS/);
    expect(() => loadConfig({ ...base, OCR_LANGS: 'English' })).toThrow(/OCR_LANGS/);
  });

  it('lets the platform PORT win and accepts the legacy concurrency alias', () => {
    const config = loadConfig({ ...base, PORT: '8080', QUEUE_WORKER_CONCURRENCY: '3' });
    expect(config.http.port).toBe(8080);
    expect(config.queue.concurrency).toBe(3);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ ...base, JWT_ISSUER: '', OCR_WORKERS: '' });
    expect(config.auth.issuer).toBeUndefined();
    expect(config.ocr.workers).toBeGreaterThan(0);
  });

  it('serves the browser UI by default in MODE=all only, and as ENABLE_UI says otherwise', () => {
    expect(loadConfig(base).ui).toBe(true);
    expect(loadConfig({ ...base, MODE: 'api' }).ui).toBe(false);
    expect(loadConfig({ ...base, MODE: 'api', ENABLE_UI: 'true' }).ui).toBe(true);
    expect(loadConfig({ ...base, ENABLE_UI: 'false' }).ui).toBe(false);
  });

  it('refuses ENABLE_DEV_TOKENS under NODE_ENV=production or SERVICE_ENV=prod, and without JWT_SECRET', () => {
    expect(loadConfig(base).devTokens).toBe(false);
    expect(loadConfig({ ...base, ENABLE_DEV_TOKENS: 'true', NODE_ENV: 'development' }).devTokens).toBe(true);
    const refused = 'ENABLE_DEV_TOKENS: must not be true with NODE_ENV=production or SERVICE_ENV=prod: it gives a token to anyone who asks';
    expect(problemsOf({ ...base, ENABLE_DEV_TOKENS: 'true', NODE_ENV: 'production' })).toEqual([refused]);
    expect(problemsOf({ ...base, ENABLE_DEV_TOKENS: 'true', SERVICE_ENV: 'prod' })).toEqual([refused]);
    expect(loadConfig({ ...base, ENABLE_DEV_TOKENS: 'false', NODE_ENV: 'production' }).devTokens).toBe(false);
    const jwks = { DATABASE_URL: base.DATABASE_URL, JWT_JWKS_URL: 'https://issuer.example/jwks.json' };
    expect(problemsOf({ ...jwks, ENABLE_DEV_TOKENS: 'true' })).toEqual(['ENABLE_DEV_TOKENS: needs JWT_SECRET, the key development tokens are signed with']);
  });

  it('is documented key for key in .env.example', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(envSchema.shape).sort());
  });
});
