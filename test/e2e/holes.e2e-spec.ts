import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import type { ApiClient } from '../support/client.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { rawRequest } from '../support/raw-http.js';

/** The problem+json envelope every error carries, whatever raised it. */
async function expectProblem(res: { status: number; type: string | null; body: string }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.type).toContain('application/problem+json');
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ type: `urn:ocrflow:error:${code}`, title: code, status, code });
  expect(typeof body.detail).toBe('string');
  expect(body.requestId).toBeTruthy();
  expect(res.body).not.toMatch(/stack|node_modules|\.ts:\d+|prisma/i);
  return body;
}

async function problemOf(res: Response, status: number, code: string) {
  return expectProblem({ status: res.status, type: res.headers.get('content-type'), body: await res.text() }, status, code);
}

describe('issue 12: what a security probe found, against a running API', () => {
  let env: TestEnv;
  let running: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_holes');
    running = await startApp(env, { MODE: 'api', QUOTA_ACTIVE_JOBS: '1' });
    client = await running.client('probe');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('answers a forged list cursor dated year 0000 with 400 VALIDATION_FAILED, not a database error', async () => {
    for (const iso of ['0000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z']) {
      const cursor = Buffer.from(`${iso}|ffffffff-ffff-ffff-ffff-ffffffffffff`).toString('base64url');
      const body = await problemOf(await client.get(`/jobs?cursor=${cursor}`), 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field: 'cursor', message: 'not a cursor returned by this API' }]);
    }
  });

  it('answers headers over the size limit with a problem+json 431, then keeps serving', async () => {
    const res = await rawRequest(client.baseUrl, `GET /jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const body = await expectProblem({ ...res, type: res.headers['content-type'] ?? null }, 431, 'HEADERS_TOO_LARGE');
    expect(res.headers['x-request-id']).toBe(body.requestId);
    expect(res.headers.connection).toBe('close');
    expect((await client.get('/jobs')).status).toBe(200);
  });

  it('answers a request line that is not HTTP with a problem+json 400', async () => {
    for (const garbage of ['NOT HTTP AT ALL\r\n\r\n', 'GET /jobs HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n']) {
      const res = await rawRequest(client.baseUrl, garbage);
      await expectProblem({ ...res, type: res.headers['content-type'] ?? null }, 400, 'BAD_REQUEST');
    }
    expect((await client.get('/health/live')).status).toBe(200);
  });

  it('leaves no file, folder or row behind for an upload refused after it was stored', async () => {
    const first = await client.submit(await textImage(['first']));
    // QUOTA_ACTIVE_JOBS=1 and no worker: the second upload is refused once stored.
    await problemOf(await client.upload(await textImage(['second'])), 429, 'QUOTA_EXCEEDED');
    expect(await env.sql('SELECT id FROM jobs')).toEqual([{ id: first.id }]);
    expect((await readdir(env.artifactPath, { recursive: true })).sort()).toEqual(
      ['originals', `originals/${first.id.slice(0, 2)}`, `originals/${first.id.slice(0, 2)}/${first.id}`],
    );
  });
});

describe('issue 12: health with the database down', () => {
  let env: TestEnv;
  let running: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_holes_db_down');
    // Nothing listens on port 1: every query fails at once, the way a lost database does.
    running = await startApp(env, { MODE: 'api', DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/ocrflow' });
    client = await running.client();
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('answers /health and /health/ready with a problem+json 503 that names the dependency that is down', async () => {
    for (const path of ['/health', '/health/ready']) {
      const res = await client.get(path);
      expect(res.headers.get('cache-control')).toContain('no-store');
      const body = await problemOf(res, 503, 'SERVICE_UNAVAILABLE');
      expect(body.detail).toContain('database');
      expect(body.checks.database.status).toBe('down');
      expect(body.checks.redis.status).toBe('up');
    }
    // Liveness checks nothing external: the process is fine and must not be restarted.
    expect((await client.get('/health/live')).status).toBe(200);
  });
});
