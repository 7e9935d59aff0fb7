import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { scannedPdf } from '../support/documents.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

describe('POST /jobs/:id/cancel (MODE=all, one job at a time)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_cancel');
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  const storedPages = async (id: string) => Number((await env.sql<{ n: string }>('SELECT count(*) AS n FROM job_pages WHERE job_id = $1', [id]))[0]!.n);

  it('stops a running job at its next page and a queued one before it starts; nothing is stored after, and the worker moves on', async () => {
    const pages = Array.from({ length: 6 }, (_, i) => [`Cancelled page ${i + 1}`, 'Some more words to read on it']);
    const long = await alice.submit(await scannedPdf(pages), { fileName: 'long.pdf', fields: { password: 'unused-password' } });
    const queued = await alice.submit(await textImage(['Never read']));
    const streamed = alice.events(`/jobs/${long.id}/events`);
    await eventually(async () => ((await alice.json(`/jobs/${long.id}`)).body.pages.done >= 1 ? true : undefined), 120_000);

    const cancelledQueued = await alice.postJson(`/jobs/${queued.id}/cancel`, {});
    expect(cancelledQueued).toMatchObject({ status: 200, body: { id: queued.id, status: 'CANCELLED' } });
    const cancelled = await alice.postJson(`/jobs/${long.id}/cancel`, {});
    expect(cancelled).toMatchObject({ status: 200, body: { id: long.id, status: 'CANCELLED', finishedAt: expect.any(String) } });
    const atCancel = await storedPages(long.id);

    // The worker is free again: a new job runs to the end.
    const next = await alice.submit(await textImage(['After the cancel 4711']));
    expect((await waitForJob(alice, next.id)).status).toBe('SUCCEEDED');
    expect((await alice.json(`/jobs/${next.id}/results`)).body.text).toContain('4711');

    // The page being read at the cancel was dropped, the queued job never started.
    expect(await storedPages(long.id)).toBe(atCancel);
    expect(atCancel).toBeLessThan(pages.length);
    expect((await alice.json(`/jobs/${long.id}`)).body).toMatchObject({ status: 'CANCELLED', pages: { done: atCancel } });
    expect((await alice.json(`/jobs/${queued.id}`)).body).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null });
    const [row] = await env.sql('SELECT password FROM jobs WHERE id = $1', [long.id]);
    expect(row).toEqual({ password: null });

    const events = (await streamed).map((e) => e.type);
    expect(events.at(-1)).toBe('cancelled');
    expect(events.filter((type) => type === 'page.completed')).toHaveLength(atCancel);
    expect((await alice.json(`/jobs/${long.id}/results`)).body).toMatchObject({ code: 'RESULT_UNAVAILABLE', jobStatus: 'CANCELLED' });
  });

  it('refuses a finished job with 409 JOB_FINISHED, and another subject’s job with 404', async () => {
    const job = await alice.submit(await textImage(['Done already']));
    expect((await waitForJob(alice, job.id)).status).toBe('SUCCEEDED');
    const refused = await alice.postJson(`/jobs/${job.id}/cancel`, {});
    expect(refused).toMatchObject({ status: 409, body: { code: 'JOB_FINISHED', jobStatus: 'SUCCEEDED' } });
    expect((await alice.json(`/jobs/${job.id}`)).body.status).toBe('SUCCEEDED');

    const bob = await running.client('bob');
    expect(await bob.postJson(`/jobs/${job.id}/cancel`, {})).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    // Reading is not enough: cancelling needs jobs:write.
    const readOnly = alice.as(await token('alice', undefined, 'jobs:read'));
    expect((await readOnly.postJson(`/jobs/${job.id}/cancel`, {})).status).toBe(403);
  });
});
