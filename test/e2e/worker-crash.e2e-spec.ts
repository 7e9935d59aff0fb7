import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, eventually, type TestEnv } from '../support/harness.js';
import { scannedPdf } from '../support/documents.js';
import { freePort, startService, stopService } from '../support/process.js';

describe('a worker killed mid-job', () => {
  let env: TestEnv;
  let api: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_worker_crash');
    api = await startApp(env, { MODE: 'api' });
    client = await api.client('gina');
  });

  afterAll(async () => {
    await api?.app.close();
    await env?.cleanup();
  });

  // BullMQ notices the dead worker's lapsed lock (QUEUE_LOCK_DURATION_MS, 15 s) at
  // its next stalled-job check (every 5 s), so this test waits for real time to pass.
  it('is finished, exactly once, by another worker that resumes at its checkpoint', { timeout: 240_000 }, async () => {
    const pages = Array.from({ length: 6 }, (_, p) =>
      Array.from({ length: 12 }, (_, i) => `Page ${p + 1} line ${i + 1} of a long statement, amount ${i * 7}.50`),
    );
    const doomed = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    const { id } = await client.submit(await scannedPdf(pages));
    // Killed once some pages are stored and others are not.
    await eventually(async () => ((await client.json(`/jobs/${id}`)).body.pages.done >= 2 ? true : undefined), 120_000);
    doomed.kill('SIGKILL');
    await new Promise((resolve) => doomed.once('exit', resolve));
    const killed = (await client.json(`/jobs/${id}`)).body;
    expect(killed.status).toBe('RUNNING');
    expect(killed.pages.done).toBeLessThan(6);
    const checkpointed = await env.sql<{ number: number; created_at: Date }>(
      'SELECT number, created_at FROM job_pages WHERE job_id = $1 ORDER BY number',
      [id],
    );

    const survivor = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    try {
      const done = await waitForJob(client, id, 180_000).catch((error) => {
        throw new Error(`${error}\n${survivor.output()}`);
      });
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, pages: { total: 6, done: 6 } });
      const { body } = await client.json(`/jobs/${id}/results`);
      expect(body.pages.map((p: any) => p.number)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(body.pages[5].text).toContain('Page 6 line 12 of a long statement');
      expect(await env.sql('SELECT job_id FROM job_results')).toEqual([{ job_id: id }]);
      // The pages stored before the kill were not recognised again: same rows, and one event each.
      const after = await env.sql('SELECT number, created_at FROM job_pages WHERE job_id = $1 AND number <= $2 ORDER BY number', [
        id,
        checkpointed.length,
      ]);
      expect(after).toEqual(checkpointed);
      const events = await client.events(`/jobs/${id}/events`);
      const completed = events.filter((e) => e.type === 'page.completed').map((e) => e.data.data.page);
      expect(completed).toEqual([1, 2, 3, 4, 5, 6]);
      expect(events.map((e) => e.type).filter((t) => t === 'started')).toHaveLength(2);
    } finally {
      expect(await stopService(survivor)).toBe(0);
    }
  });
});
