import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { createTestEnv, deleteQueueKeys, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort, startService, stopService } from '../support/process.js';

describe('MODE=api and MODE=worker as separate processes', () => {
  let env: TestEnv;
  let api: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_split');
    api = await startApp(env, { MODE: 'api' });
    client = await api.client('dana');
  });

  afterAll(async () => {
    await api?.app.close();
    await env?.cleanup();
  });

  it('leaves jobs queued until a worker process finishes them; the worker serves only health', async () => {
    const res = await client.upload(await textImage(['Receipt 7781', 'Paid in full']));
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as any;
    // Followed through this API process while another process does the work.
    const streamed = client.events(`/jobs/${id}/events`);

    // No worker exists yet: the job must stay queued and its results unavailable.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await client.json(`/jobs/${id}`)).body.status).toBe('QUEUED');
    const early = await client.json(`/jobs/${id}/results`);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('JOB_NOT_FINISHED');
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);

    const workerPort = await freePort();
    const worker = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(workerPort), PORT: '1' });
    try {
      const workerUrl = `http://127.0.0.1:${workerPort}`;
      const health = await eventually(async () => {
        const r = await fetch(`${workerUrl}/health`).catch(() => undefined);
        return r?.ok ? ((await r.json()) as any) : undefined;
      }, 60_000).catch((error) => {
        throw new Error(`worker did not become healthy: ${error}\n${worker.output()}`);
      });
      expect(health.status).toBe('ok');

      const done = await waitForJob(client, id);
      expect(done.status).toBe('SUCCEEDED');
      const { body } = await client.json(`/jobs/${id}/results`);
      expect(body.text).toContain('7781');
      expect(body.text).toMatch(/Paid in full/);
      const events = await streamed;
      expect(events.map((e) => [e.id, e.type])).toEqual([
        ['1', 'queued'],
        ['2', 'started'],
        ['3', 'page.completed'],
        ['4', 'succeeded'],
      ]);
      expect(events[2]!.data).toMatchObject({ jobId: id, data: { page: 1, done: 1, total: 1, source: 'ocr' } });

      // The worker exposes health and nothing of the API.
      const bearer = { authorization: `Bearer ${await token('dana')}` };
      expect((await fetch(`${workerUrl}/jobs/${id}`, { headers: bearer })).status).toBe(404);
      expect((await fetch(`${workerUrl}/jobs`, { method: 'POST', headers: bearer })).status).toBe(404);
      expect((await fetch(`${workerUrl}/health/live`)).status).toBe(200);
    } finally {
      expect(await stopService(worker)).toBe(0);
    }
  });

  it('finishes, exactly once, a job whose queue entry Redis lost', async () => {
    const { id } = await client.submit(await textImage(['Lost and found 314']));
    await deleteQueueKeys(env.queuePrefix); // Redis restarted with nothing on disk

    const worker = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()), RECONCILE_GRACE_MS: '0' });
    try {
      const done = await waitForJob(client, id).catch((error) => {
        throw new Error(`${error}\n${worker.output()}`);
      });
      expect(done.status).toBe('SUCCEEDED');
      expect(done.attempts).toBe(1);
      expect((await client.json(`/jobs/${id}/results`)).body.text).toContain('314');
    } finally {
      expect(await stopService(worker)).toBe(0);
    }
  });

  it('retries a job that fails for a reason not its document’s, logs each attempt with its cause, and ends it INTERNAL', async () => {
    const { id } = await client.submit(await textImage(['Gone before it was read']));
    // The stored original disappears (a bucket emptied by hand, a disk lost): not the document's fault.
    await rm(join(env.artifactPath, 'originals', id.slice(0, 2), id));
    const worker = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()), LOG_LEVEL: 'warn' });
    try {
      const done = await waitForJob(client, id);
      expect(done).toMatchObject({ status: 'FAILED', attempts: 3, error: { code: 'INTERNAL' } });
      const logged = worker
        .output()
        .split('\n')
        .filter((line) => line.includes('processing failed'))
        .map((line) => JSON.parse(line));
      // A warning while retries remain, an error on the last; each with the job, the attempt and the cause's stack.
      expect(logged.map((l) => [l.level, l.attempt, l.jobId])).toEqual([
        [40, 1, id],
        [40, 2, id],
        [50, 3, id],
      ]);
      for (const line of logged) expect(line.err.stack).toContain('artifact not found');
    } finally {
      expect(await stopService(worker)).toBe(0);
    }
  });

  it('fails a job the worker refuses with its code, at once and without retries', async () => {
    // The worker checks limits again and does not trust the API: here it is stricter.
    const { id } = await client.submit(await textImage(['Too big for this worker'], { width: 1400 }));
    const worker = startService({
      ...env.env,
      MODE: 'worker',
      WORKER_PORT: String(await freePort()),
      MAX_IMAGE_PIXELS: '100000',
    });
    try {
      const done = await waitForJob(client, id);
      expect(done.status).toBe('FAILED');
      expect(done.error.code).toBe('IMAGE_TOO_LARGE');
      expect(done.attempts).toBe(1);
      const results = await client.json(`/jobs/${id}/results`);
      expect(results.status).toBe(409);
      expect(results.body).toMatchObject({ code: 'RESULT_UNAVAILABLE', error: { code: 'IMAGE_TOO_LARGE' } });
    } finally {
      expect(await stopService(worker)).toBe(0);
    }
  });
});
