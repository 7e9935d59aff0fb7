import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, waitForJob } from '../support/client.js';
import { scannedPdf } from '../support/documents.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { freePort, startService, stopService } from '../support/process.js';

describe('graceful shutdown (SIGTERM) of a worker and of an API process', () => {
  let env: TestEnv;
  let api: ReturnType<typeof startService>;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_shutdown');
    const port = await freePort();
    api = startService({ ...env.env, MODE: 'api', PORT: String(port) });
    client = new ApiClient(`http://127.0.0.1:${port}`, await token('hana'));
    await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok ? true : undefined), 60_000);
  });
  afterAll(async () => {
    if (api) await stopService(api);
    await env?.cleanup();
  });

  it('a worker stores the page it is on, gives the job back and exits 0; the next worker resumes without redoing a page', async () => {
    const pages = Array.from({ length: 6 }, (_, p) => Array.from({ length: 10 }, (_, i) => `Page ${p + 1} line ${i + 1} of the ledger, ${i * 3}.25`));
    const stopping = startService({ ...env.env, LOG_LEVEL: 'info', MODE: 'worker', WORKER_PORT: String(await freePort()) });
    const { id } = await client.submit(await scannedPdf(pages));
    await eventually(async () => ((await client.json(`/jobs/${id}`)).body.pages.done >= 1 ? true : undefined), 120_000);

    expect(await stopService(stopping)).toBe(0);
    expect(stopping.output()).toContain('job given back at a checkpoint');
    expect(stopping.output()).toContain('stopped cleanly');
    // Back in the queue with its pages, its attempt not counted.
    const released = (await client.json(`/jobs/${id}`)).body;
    expect(released).toMatchObject({ status: 'QUEUED', attempts: 0 });
    expect(released.pages.done).toBeGreaterThanOrEqual(1);
    expect(released.pages.done).toBeLessThan(6);

    const next = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    try {
      const done = await waitForJob(client, id, 180_000).catch((error) => {
        throw new Error(`${error}\n${next.output()}`);
      });
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, pages: { total: 6, done: 6 } });
      const events = await client.events(`/jobs/${id}/events`);
      expect(events.filter((e) => e.type === 'page.completed').map((e) => e.data.data.page)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(events.filter((e) => e.type === 'queued').map((e) => e.data.data)).toEqual([{}, { reason: 'worker shut down' }]);
      expect((await client.json(`/jobs/${id}/results`)).body.pages[5].text).toContain('Page 6 line 10 of the ledger');
    } finally {
      expect(await stopService(next)).toBe(0);
    }
  });

  it('an API process ends its open event streams and exits 0 at once, not when the shutdown timeout cuts it off', async () => {
    // No worker runs: the job stays queued and its stream stays open.
    const { id } = await client.submit(await scannedPdf([['Waiting for a worker']]));
    const port = await freePort();
    const second = startService({ ...env.env, LOG_LEVEL: 'info', MODE: 'api', PORT: String(port), SHUTDOWN_TIMEOUT_MS: '60000' });
    await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok ? true : undefined), 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${await token('hana')}`, accept: 'text/event-stream' },
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    while (!received.includes('event: queued')) received += (await reader.read()).value ?? '';

    // Exit 0: ended by itself, not cut off by the timeout (exit 1).
    expect(await stopService(second)).toBe(0);
    // The stream ended cleanly: an EventSource reconnects to another replica with its Last-Event-ID.
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value;
    expect(received).not.toContain('event: succeeded');
    expect(second.output()).toContain('stopped cleanly');
  });
});
