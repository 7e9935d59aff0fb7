import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { createTestEnv, deleteQueueKeys, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

const WORDS = ['INVOICE', 'Number', '48213', 'Total', 'Amount', '1250.00'];

describe('MODE=all: upload, OCR, read back', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_all');
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
    bob = await running.client('bob');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('recognises the text of an uploaded image, with word boxes', async () => {
    const image = await textImage(['INVOICE Number 48213', 'Total Amount 1250.00']);
    const res = await alice.upload(image, { fileName: 'invoice.png' });
    expect(res.status).toBe(202);
    const created = (await res.json()) as any;
    expect(created.status).toBe('QUEUED');
    expect(res.headers.get('location')).toBe(`/jobs/${created.id}`);

    const done = await waitForJob(alice, created.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.startedAt).not.toBeNull();
    expect(done.fileName).toBe('invoice.png');

    const { status, body } = await alice.json(`/jobs/${created.id}/results`);
    expect(status).toBe(200);
    for (const word of WORDS) expect(body.text).toContain(word);
    const [page] = body.pages;
    expect(page.number).toBe(1);
    const words = page.lines.flatMap((line: any) => line.words);
    const total = words.find((w: any) => w.text === '1250.00');
    expect(total).toBeDefined();
    // The amount sits on the second line, right of "Amount", inside the page.
    const amount = words.find((w: any) => w.text === 'Amount');
    expect(total.bbox.x0).toBeGreaterThan(amount.bbox.x1);
    expect(total.bbox.y0).toBeGreaterThan(words.find((w: any) => w.text === 'INVOICE').bbox.y1);
    expect(total.bbox.x1).toBeLessThanOrEqual(page.width);
    expect(total.confidence).toBeGreaterThan(50);
  });

  it("reads the README's sample invoice, total included", async () => {
    const invoice = await readFile(new URL('../fixtures/invoice.png', import.meta.url));
    const { id } = await alice.submit(invoice, { fileName: 'invoice.png' });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    const { body } = await alice.json(`/jobs/${id}/results`);
    expect(body.text).toContain('INV-2026-0415');
    expect(body.text).toMatch(/TOTAL\s+124\.19/);
  });

  it('accepts the /upload alias', async () => {
    const res = await alice.upload(await textImage(['alias']), { path: '/upload' });
    expect(res.status).toBe(202);
  });

  it("hides one owner's jobs from another", async () => {
    const { id } = await alice.submit(await textImage(['private']));
    const other = await bob.json(`/jobs/${id}`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    expect((await bob.json(`/jobs/${id}/results`)).status).toBe(404);
    const listed = await bob.json('/jobs');
    expect(listed.body.items.map((j: any) => j.id)).not.toContain(id);
  });

  it('lists the caller’s jobs newest first, a page at a time', async () => {
    const carol = alice.as(await token('carol'));
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await carol.submit(await textImage([`page ${n}`]))).id);
    const first = await carol.json('/jobs?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((j: any) => j.id)).toEqual([ids[2], ids[1]]);
    const second = await carol.json(`/jobs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((j: any) => j.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const bad = await carol.json('/jobs?limit=1000');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    for (const id of ids) await waitForJob(carol, id);
  });

  it('runs with a Redis Cluster hash-tagged QUEUE_PREFIX', async () => {
    const prefix = `{${env.queuePrefix}}`;
    const tagged = await startApp(env, { MODE: 'all', QUEUE_PREFIX: prefix });
    try {
      const client = await tagged.client('tess');
      const { id } = await client.submit(await textImage(['Hash tagged queue']));
      expect((await waitForJob(client, id)).status).toBe('SUCCEEDED');
    } finally {
      await tagged.app.close();
      await deleteQueueKeys(prefix);
    }
  });

  it('reports database and Redis health without a token', async () => {
    const health = await alice.as(undefined).json('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(health.body.details.database.status).toBe('up');
    expect(health.body.details.redis.status).toBe('up');
    expect(health.body.details.storage.status).toBe('up');
    expect((await alice.as(undefined).json('/health/live')).status).toBe(200);
  });
});
