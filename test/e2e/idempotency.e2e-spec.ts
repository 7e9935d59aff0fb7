import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

describe('Idempotency-Key on POST /jobs (MODE=all)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_idempotency');
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  const withKey = (key: string, fields: Record<string, string> = {}) => ({ headers: { 'Idempotency-Key': key }, fields });
  const jobsNamed = async (fileName: string) => (await env.sql('SELECT id FROM jobs WHERE file_name = $1', [fileName])).length;

  it('answers a repeat with the first job, marked replayed; another file with the key is 422', async () => {
    const key = randomUUID();
    const image = await textImage(['Idempotent receipt 2718']);
    const first = await alice.upload(image, { fileName: 'once.png', ...withKey(key, { pages: '1' }) });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const job = (await first.json()) as any;

    const again = await alice.upload(image, { fileName: 'once.png', ...withKey(key, { pages: '1' }) });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/jobs/${job.id}`);
    expect(await again.json()).toMatchObject({ id: job.id, links: { self: `/jobs/${job.id}` } });
    expect(await jobsNamed('once.png')).toBe(1);

    const other = await alice.upload(await textImage(['Another receipt']), { fileName: 'once.png', ...withKey(key, { pages: '1' }) });
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    const otherFields = await alice.upload(image, { fileName: 'once.png', ...withKey(key, { ocr: 'force' }) });
    expect(otherFields.status).toBe(422);

    // Keys are per subject: bob's same key is bob's own job.
    const bob = await running.client('bob');
    const bobs = await bob.upload(image, { fileName: 'once.png', ...withKey(key, { pages: '1' }) });
    expect(bobs.status).toBe(202);
    expect(((await bobs.json()) as any).id).not.toBe(job.id);
    expect((await waitForJob(alice, job.id)).status).toBe('SUCCEEDED');
  });

  it('creates exactly one job for 10 concurrent duplicates, all answering with its id', async () => {
    const key = randomUUID();
    const image = await textImage(['Ten at once 3141']);
    const answers = await Promise.all(Array.from({ length: 10 }, () => alice.upload(image, { fileName: 'ten.png', ...withKey(key) })));
    expect(answers.map((res) => res.status)).toEqual(Array(10).fill(202));
    const ids = new Set(await Promise.all(answers.map(async (res) => ((await res.json()) as any).id)));
    expect(ids.size).toBe(1);
    expect(answers.filter((res) => res.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect(await jobsNamed('ten.png')).toBe(1);
    expect(await env.sql('SELECT job_id FROM idempotency_keys WHERE key = $1', [key])).toEqual([{ job_id: [...ids][0] }]);
  });

  it('lets a key refused for a bad request be used again, and refuses a malformed key with 400', async () => {
    const key = randomUUID();
    const image = await textImage(['Second try']);
    const bad = await alice.upload(image, { fileName: 'retry.png', ...withKey(key, { pages: 'not pages' }) });
    expect(bad.status).toBe(400);
    const good = await alice.upload(image, { fileName: 'retry.png', ...withKey(key, { pages: '1' }) });
    expect(good.status).toBe(202);
    expect(good.headers.get('idempotent-replayed')).toBeNull();

    for (const malformed of ['x'.repeat(256), 'clé', 'tab\there']) {
      const res = await alice.upload(image, { fileName: 'bad-key.png', ...withKey(malformed) });
      expect(res.status, malformed).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'Idempotency-Key' }] });
    }
    expect(await jobsNamed('bad-key.png')).toBe(0);
  });
});
