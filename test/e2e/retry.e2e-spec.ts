import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { encryptPdf, scannedPdf, textPdf } from '../support/documents.js';
import { createTestEnv, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

/**
 * Page 1 has a text layer (read at any dpi, without rendering); page 2 is a
 * 2000-point square scan: over MAX_PAGE_PIXELS at the default 300 dpi, so it
 * fails PAGE_TOO_LARGE, and 4 million pixels at 72 dpi.
 */
async function halfTooLarge(): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage([595, 842]).drawText('The first page has a text layer', { x: 50, y: 760, size: 14, font });
  const scan = await pdf.embedPng(await textImage(['Retried page 77', 'Read on the second run'], { width: 1700 }));
  const big = pdf.addPage([2000, 2000]);
  big.drawImage(scan, { x: 0, y: 2000 - (2000 * scan.height) / scan.width, width: 2000, height: (2000 * scan.height) / scan.width });
  return Buffer.from(await pdf.save());
}

describe('POST /jobs/:id/retry (MODE=all, one job at a time)', () => {
  let env: TestEnv;
  let running: RunningApp | undefined;
  let alice: ApiClient;
  const ids: Record<'partial' | 'locked' | 'done', string> = { partial: '', locked: '', done: '' };

  beforeAll(async () => {
    env = await createTestEnv('e2e_retry');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('first run: a PARTIAL job, a FAILED one (no password) and a SUCCEEDED one, which cannot be retried (409)', async () => {
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
    ids.partial = (await alice.submit(await halfTooLarge(), { fileName: 'half.pdf' })).id;
    ids.locked = (await alice.submit(await encryptPdf(await textPdf([['Locked payroll 1234']]), 'open-sesame'), { fileName: 'locked.pdf' })).id;
    ids.done = (await alice.submit(await textImage(['Already done']))).id;
    expect(await waitForJob(alice, ids.partial)).toMatchObject({ status: 'PARTIAL', pages: { total: 2, done: 1, failed: 1 } });
    expect(await waitForJob(alice, ids.locked)).toMatchObject({ status: 'FAILED', error: { code: 'PASSWORD_REQUIRED' } });
    expect((await waitForJob(alice, ids.done)).status).toBe('SUCCEEDED');

    expect(await alice.post(`/jobs/${ids.done}/retry`)).toMatchObject({ status: 409, body: { code: 'JOB_NOT_RETRYABLE', jobStatus: 'SUCCEEDED' } });
    expect((await alice.json(`/jobs/${ids.done}`)).body.status).toBe('SUCCEEDED');
    const bob = await running.client('bob');
    expect(await bob.post(`/jobs/${ids.partial}/retry`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const readOnly = alice.as(await token('alice', undefined, 'jobs:read'));
    expect((await readOnly.post(`/jobs/${ids.partial}/retry`)).status).toBe(403);
    await running.app.close();
    running = undefined;
  });

  it('second run (72 dpi, one active job allowed): the quota applies; the PARTIAL job re-reads only its failed page and succeeds', async () => {
    // No reconciler sweep after start-up: the retry itself must put the job on the queue, where the
    // first run's finished entry (same BullMQ id) would make a plain add a silent no-op.
    running = await startApp(env, { MODE: 'all', PDF_RENDER_DPI: '72', QUOTA_ACTIVE_JOBS: '1', RECONCILE_INTERVAL_MS: '3600000' });
    alice = await running.client('alice');
    const [page1] = await env.sql('SELECT created_at, result::text FROM job_pages WHERE job_id = $1 AND number = 1', [ids.partial]);

    // A long job holds the one place: the retry is refused like an upload would be.
    const pages = Array.from({ length: 4 }, (_, i) => [`Blocking page ${i + 1}`]);
    const blocker = await alice.submit(await scannedPdf(pages));
    expect(await alice.post(`/jobs/${ids.partial}/retry`)).toMatchObject({ status: 429, body: { code: 'QUOTA_EXCEEDED' } });
    expect((await alice.json(`/jobs/${ids.partial}`)).body.status).toBe('PARTIAL');
    expect((await alice.delete(`/jobs/${blocker.id}`)).status).toBe(204);

    const retried = await alice.post(`/jobs/${ids.partial}/retry`);
    expect(retried).toMatchObject({ status: 202, body: { id: ids.partial, status: 'QUEUED', attempts: 0, finishedAt: null, pages: { done: 1, failed: 0 } } });
    expect(retried.body).not.toHaveProperty('error');
    const job = await waitForJob(alice, ids.partial);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1, pages: { total: 2, done: 2, failed: 0 } });

    const results = (await alice.json(`/jobs/${ids.partial}/results`)).body;
    expect(results.pages[0].text).toBe('The first page has a text layer');
    expect(results.pages[1].text).toContain('Retried page 77');
    // Page 1 is the first run's checkpoint, untouched: read at 300 dpi, stored then.
    expect(results.pages[0]).toMatchObject({ dpi: 300 });
    expect(await env.sql('SELECT created_at, result::text FROM job_pages WHERE job_id = $1 AND number = 1', [ids.partial])).toEqual([page1]);
    const events = await alice.events(`/jobs/${ids.partial}/events`);
    const afterRetry = events.slice(events.findIndex((e) => e.type === 'queued' && e.data.data.reason === 'retry'));
    expect(afterRetry.map((e) => e.type)).toEqual(['queued', 'started', 'page.completed', 'succeeded']);
    expect(afterRetry[2]!.data.data).toMatchObject({ page: 2, status: 'SUCCEEDED', done: 2, failed: 0 });
  });

  it('retries a FAILED encrypted PDF with the password given in the body, and drops the password again', async () => {
    const wrongBody = await alice.postJson(`/jobs/${ids.locked}/retry`, { password: 'open-sesame', pages: '1' });
    expect(wrongBody).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect((await alice.postJson(`/jobs/${ids.locked}/retry`, { password: 'open-sesame' })).status).toBe(202);
    expect(await waitForJob(alice, ids.locked)).toMatchObject({ status: 'SUCCEEDED', pages: { done: 1, failed: 0 } });
    expect(await waitForJob(alice, ids.locked)).not.toHaveProperty('error');
    expect((await alice.json(`/jobs/${ids.locked}/results`)).body.text).toBe('Locked payroll 1234');
    expect(await env.sql('SELECT id FROM jobs WHERE password IS NOT NULL')).toEqual([]);
    expect(await alice.post(`/jobs/${ids.locked}/retry`)).toMatchObject({ status: 409, body: { code: 'JOB_NOT_RETRYABLE' } });
  });
});
