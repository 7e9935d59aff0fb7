import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/ocrflow', JWT_SECRET: 'x'.repeat(32) };
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('webhook configuration', () => {
  it('is off without a secret, and refuses WEBHOOK_URL without one', () => {
    expect(loadConfig(base).webhooks).toBeUndefined();
    expect(problemsOf({ ...base, WEBHOOK_URL: 'https://hooks.example.com/ocr' })).toMatch(/^WEBHOOK_SECRET: is required with WEBHOOK_URL/m);
  });

  it('takes the secret from WEBHOOK_SECRET_FILE, with defaults for the rest', () => {
    const file = join(tmpdir(), `ocrflow-webhook-secret-${process.pid}`);
    writeFileSync(file, `${secret}\n`);
    const config = loadConfig({ ...base, WEBHOOK_SECRET_FILE: file, WEBHOOK_URL: 'https://hooks.example.com/ocr' });
    expect(config.webhooks).toEqual({
      secret,
      url: 'https://hooks.example.com/ocr',
      events: ['job.succeeded', 'job.partial', 'job.failed', 'job.cancelled'],
      timeoutMs: 10_000,
      attempts: 8,
      backoffMs: 10_000,
      concurrency: 10,
      allowPrivate: false,
    });
    expect(loadConfig({ ...base, WEBHOOK_SECRET: secret, WEBHOOK_EVENTS: 'job.failed, job.page_completed' }).webhooks?.events).toEqual([
      'job.failed',
      'job.page_completed',
    ]);
  });

  it('refuses a secret not in the whsec_ format or too short, without echoing it', () => {
    for (const bad of ['hunter2-hunter2-hunter2-hunter2-hunter2', `whsec_${Buffer.alloc(8).toString('base64')}`, 'whsec_not base64!']) {
      const problems = problemsOf({ ...base, WEBHOOK_SECRET: bad });
      expect(problems).toMatch(/^WEBHOOK_SECRET: must be whsec_/m);
      expect(problems).not.toContain(bad);
    }
    expect(problemsOf({ ...base, WEBHOOK_SECRET: secret, WEBHOOK_EVENTS: 'job.exploded' })).toMatch(/^WEBHOOK_EVENTS/m);
    expect(problemsOf({ ...base, WEBHOOK_SECRET: secret, WEBHOOK_URL: 'ftp://hooks.example.com' })).toMatch(/^WEBHOOK_URL/m);
  });
});
