import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { backNearIdle, MB, settledRss } from '../support/memory.js';
import { freePort, startService, stopService } from '../support/process.js';

describe('worker memory after a 49-megapixel page', () => {
  let env: TestEnv;
  let api: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_memory');
    api = await startApp(env, { MODE: 'api' });
    client = await api.client('mia');
  });
  afterAll(async () => {
    await api?.app.close();
    await env?.cleanup();
  });

  it('comes back within 100 MB of its idle value, and reports boxes in the image’s own pixels', { timeout: 300_000 }, async () => {
    const worker = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    try {
      // Idle means warm: one ordinary page done, so the engine and the reader have run once.
      const warm = await client.submit(await textImage(['Warm up page', 'Total 12.00']));
      expect((await waitForJob(client, warm.id)).status).toBe('SUCCEEDED');
      const idle = await settledRss(worker.pid!);

      const lines = Array.from({ length: 20 }, (_, i) => `Line ${i + 1} of a very large scan, amount ${i * 3}.25`);
      // 1750 x 1720 scaled 4x: 7000 x 6880, 48 megapixels.
      const big = await sharp(await textImage(lines, { width: 1750 })).resize({ width: 7000 }).png().toBuffer();
      const { id } = await client.submit(big);
      const done = await waitForJob(client, id, 240_000);
      expect(done.status).toBe('SUCCEEDED');
      const { body } = await client.json(`/jobs/${id}/results`);
      expect(body.pages[0]).toMatchObject({ width: 7000, height: 6880 });
      expect(body.text).toContain('Line 20 of a very large scan');
      const words = body.pages[0].lines.flatMap((l: any) => l.words);
      expect(Math.max(...words.map((w: any) => w.bbox.x1))).toBeGreaterThan(3500); // boxes in the 7000 px page

      const after = await backNearIdle(worker.pid!, idle, 100 * MB);
      console.log(`worker RSS: idle ${Math.round(idle / MB)} MB, after the 49 MP page ${Math.round(after / MB)} MB`);
    } finally {
      expect(await stopService(worker)).toBe(0);
    }
  });
});
