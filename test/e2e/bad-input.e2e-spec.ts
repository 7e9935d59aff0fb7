import { readdir } from 'node:fs/promises';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient } from '../support/client.js';
import { pngClaiming, truncatedPng } from '../support/bad-files.js';
import { createTestEnv, JWT_SECRET, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

const MAX_UPLOAD_BYTES = 200_000;

describe('bad input gets a clear 4xx and leaves nothing behind', () => {
  let env: TestEnv;
  let running: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_bad_input');
    // API only: nothing here should ever reach a worker.
    running = await startApp(env, { MODE: 'api', MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
    client = await running.client('mallory');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  afterEach(async () => {
    expect(await env.sql('SELECT id FROM jobs')).toEqual([]);
    // Not a file, and not an empty folder either: a refused upload leaves nothing.
    expect(await readdir(env.artifactPath, { recursive: true })).toEqual([]);
  });

  async function expectProblem(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status, code });
    expect(typeof body.detail).toBe('string');
    expect(body.requestId).toBeTruthy();
    expect(JSON.stringify(body)).not.toMatch(/stack|node_modules|\.ts:\d+/);
    return body;
  }

  it('rejects an empty file', async () => {
    await expectProblem(await client.upload(Buffer.alloc(0)), 400, 'FILE_EMPTY');
  });

  it('rejects a text file named .png', async () => {
    const res = await client.upload(Buffer.from('just some text, not an image\n'), { fileName: 'scan.png' });
    await expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects a truncated PNG', async () => {
    await expectProblem(await client.upload(await truncatedPng()), 422, 'CORRUPT_FILE');
  });

  it('rejects a 40,000 x 40,000 pixel PNG before decoding it', async () => {
    await expectProblem(await client.upload(await pngClaiming(40_000, 40_000)), 422, 'IMAGE_TOO_LARGE');
  });

  it('rejects a file over the upload limit', async () => {
    const big = Buffer.concat([await textImage(['big']), Buffer.alloc(MAX_UPLOAD_BYTES)]);
    await expectProblem(await client.upload(big), 413, 'FILE_TOO_LARGE');
  });

  it('requires the multipart field "file"', async () => {
    await expectProblem(await client.upload(undefined), 400, 'FILE_REQUIRED');
    await expectProblem(await client.upload(await textImage(['x']), { field: 'document' }), 400, 'BAD_REQUEST');
    const json = await fetch(`${client.baseUrl}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('mallory')}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await expectProblem(json, 400, 'FILE_REQUIRED');
  });

  it('rejects a multipart body that is cut short', async () => {
    const res = await fetch(`${client.baseUrl}/jobs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token('mallory')}`,
        'content-type': 'multipart/form-data; boundary=xyz',
      },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG',
    });
    await expectProblem(res, 400, 'BAD_REQUEST');
  });

  it('rejects a job id that is not a UUID', async () => {
    await expectProblem(await client.get('/jobs/not-a-uuid'), 400, 'VALIDATION_FAILED');
    await expectProblem(await client.get('/jobs/1%27%20OR%201=1/results'), 400, 'VALIDATION_FAILED');
  });

  it('answers 404 for an unknown job', async () => {
    await expectProblem(await client.get('/jobs/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
  });

  it('refuses missing, malformed, forged, expired and unsigned tokens', async () => {
    const image = await textImage(['x']);
    const forged = await token('mallory', 'another-secret-that-is-long-enough!!');
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url');
    const unsigned = `${header}.${payload}.`;
    const noSubject = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET));

    for (const bearer of [undefined, 'garbage', 'a.b.c', forged, expired, unsigned, noSubject]) {
      const anon = client.as(bearer);
      const res = await anon.upload(image);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = await expectProblem(res, 401, 'UNAUTHORIZED');
      expect(body.detail).toBe('A valid bearer token is required');
      await expectProblem(await anon.get('/jobs'), 401, 'UNAUTHORIZED');
    }
  });

  it('answers unknown routes with the same envelope', async () => {
    await expectProblem(await client.get('/nope'), 404, 'NOT_FOUND');
  });
});
