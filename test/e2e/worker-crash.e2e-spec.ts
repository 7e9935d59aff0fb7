import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, eventually, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
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

  // BullMQ notices the dead worker's expired lock at its next stalled-job check
  // (30 s apart by default), so this test waits for real time to pass.
  it('is finished, exactly once, by another worker', { timeout: 240_000 }, async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `Line ${i + 1} of a long statement, amount ${i * 7}.50`);
    const doomed = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    const { id } = await client.submit(await textImage(lines, { width: 2000 }));
    await eventually(async () => ((await client.json(`/jobs/${id}`)).body.status === 'RUNNING' ? true : undefined));
    doomed.kill('SIGKILL');
    await new Promise((resolve) => doomed.once('exit', resolve));
    expect((await client.json(`/jobs/${id}`)).body.status).toBe('RUNNING');

    const survivor = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    try {
      const done = await waitForJob(client, id, 180_000).catch((error) => {
        throw new Error(`${error}\n${survivor.output()}`);
      });
      expect(done.status).toBe('SUCCEEDED');
      expect(done.attempts).toBe(2);
      const { body } = await client.json(`/jobs/${id}/results`);
      expect(body.text).toContain('Line 40 of a long statement');
      expect(await env.sql('SELECT job_id FROM job_results')).toEqual([{ job_id: id }]);
    } finally {
      expect(await stopService(survivor)).toBe(0);
    }
  });
});
