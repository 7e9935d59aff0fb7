import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { scannedPdf } from '../support/documents.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

describe('DELETE /jobs/:id (MODE=all, one job at a time)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_delete');
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  /** Every row the database holds for the job, table by table. */
  const rows = async (id: string) => {
    const [counts] = await env.sql(
      `SELECT (SELECT count(*) FROM jobs WHERE id = $1)::int AS jobs, (SELECT count(*) FROM job_pages WHERE job_id = $1)::int AS pages,
              (SELECT count(*) FROM job_events WHERE job_id = $1)::int AS events, (SELECT count(*) FROM job_results WHERE job_id = $1)::int AS results`,
      [id],
    );
    return counts;
  };
  const filesOf = async (id: string) => (await env.artifactFiles()).filter((path) => path.includes(id));

  it('deletes a finished job: no row, no page, event or result, no file; reading it is then 404', async () => {
    const job = await alice.submit(await textImage(['Delete me 5150']));
    expect((await waitForJob(alice, job.id)).status).toBe('SUCCEEDED');
    expect(await rows(job.id)).toMatchObject({ jobs: 1, pages: 1, results: 1 });
    expect(await filesOf(job.id)).toHaveLength(1);

    expect(await alice.delete(`/jobs/${job.id}`)).toEqual({ status: 204, body: null });
    expect(await rows(job.id)).toEqual({ jobs: 0, pages: 0, events: 0, results: 0 });
    expect(await filesOf(job.id)).toEqual([]);
    expect((await alice.json(`/jobs/${job.id}`)).status).toBe(404);
    expect((await alice.delete(`/jobs/${job.id}`)).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('deletes a running multi-page job and the one queued behind it; nothing is written after, and the worker takes the next job', async () => {
    const pages = Array.from({ length: 6 }, (_, i) => [`Deleted page ${i + 1}`, 'Some more words to read on it']);
    const long = await alice.submit(await scannedPdf(pages), { fileName: 'long.pdf' });
    const queued = await alice.submit(await textImage(['Never read']));
    await eventually(async () => ((await alice.json(`/jobs/${long.id}`)).body.pages.done >= 1 ? true : undefined), 120_000);

    expect((await alice.delete(`/jobs/${long.id}`)).status).toBe(204);
    expect((await alice.delete(`/jobs/${queued.id}`)).status).toBe(204);
    expect(await rows(long.id)).toEqual({ jobs: 0, pages: 0, events: 0, results: 0 });
    expect(await filesOf(long.id)).toEqual([]);
    expect(await filesOf(queued.id)).toEqual([]);

    const next = await alice.submit(await textImage(['After the delete 4711']));
    expect((await waitForJob(alice, next.id)).status).toBe('SUCCEEDED');
    expect((await alice.json(`/jobs/${next.id}/results`)).body.text).toContain('4711');
    // The page being read at the delete was dropped, not stored after it.
    expect(await rows(long.id)).toEqual({ jobs: 0, pages: 0, events: 0, results: 0 });
    expect(await rows(queued.id)).toEqual({ jobs: 0, pages: 0, events: 0, results: 0 });
    expect(await env.sql('SELECT unfinished FROM owner_unfinished_jobs WHERE owner_id = $1', ['alice'])).toEqual([{ unfinished: 0 }]);
  });

  it('answers 404 for another subject’s job and leaves it; 403 without jobs:write', async () => {
    const bob = await running.client('bob');
    const job = await alice.submit(await textImage(['Alice keeps this']));
    expect((await waitForJob(alice, job.id)).status).toBe('SUCCEEDED');

    expect(await bob.delete(`/jobs/${job.id}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const readOnly = alice.as(await token('alice', undefined, 'jobs:read'));
    expect((await readOnly.delete(`/jobs/${job.id}`)).status).toBe(403);
    expect(await rows(job.id)).toMatchObject({ jobs: 1, pages: 1, results: 1 });
    expect(await filesOf(job.id)).toHaveLength(1);
    expect((await alice.json(`/jobs/${job.id}/results`)).body.text).toContain('Alice keeps this');
  });
});
