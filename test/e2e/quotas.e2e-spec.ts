import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob } from '../support/client.js';
import { textPdf } from '../support/documents.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort } from '../support/process.js';
import { PrivateRedis } from '../support/redis-server.js';

const problem = async (res: Response) => [res.status, ((await res.json()) as any).code];

describe('per-subject quotas, shared by replicas through Redis', () => {
  let env: TestEnv;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    env = await createTestEnv('e2e_quotas');
  });
  afterAll(async () => {
    await Promise.all(apps.map((running) => running.app.close()));
    await env?.cleanup();
  });

  async function start(overrides: Record<string, string>): Promise<RunningApp> {
    const running = await startApp(env, overrides);
    apps.push(running);
    return running;
  }

  it('counts a subject’s requests across two API replicas, with RateLimit headers, then 429 with Retry-After', async () => {
    const quota = { MODE: 'api', QUOTA_REQUESTS_PER_MINUTE: '6' };
    const [a, b] = [await start(quota), await start(quota)];
    const [gina, ginaElsewhere, hal] = [await a.client('gina'), await b.client('gina'), await a.client('hal')];

    const remaining: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await (i % 2 ? ginaElsewhere : gina).get('/jobs');
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['5', '4', '3', '2', '1', '0']);

    const refused = await ginaElsewhere.get('/jobs');
    expect(await problem(refused.clone())).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-limit')).toBe('6');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-policy')).toBe('6;w=60');

    // Another subject on the same replica, and the health checks, are untouched.
    expect((await hal.get('/jobs')).status).toBe(200);
    expect((await gina.get('/health/live')).status).toBe(200);
  });

  it('refuses a job while the subject already has QUOTA_ACTIVE_JOBS unfinished, and stores nothing for it', async () => {
    // API only: nothing consumes the queue, so accepted jobs stay QUEUED.
    const running = await start({ MODE: 'api', QUOTA_ACTIVE_JOBS: '2' });
    const ivy = await running.client('ivy');
    const png = await textImage(['Active job quota']);
    await ivy.submit(png);
    await ivy.submit(png);
    const files = await env.artifactFiles();

    const refused = await ivy.upload(png);
    expect(await problem(refused.clone())).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await env.artifactFiles()).toEqual(files);
    expect(await env.sql("SELECT count(*)::int AS n FROM jobs WHERE owner_id = 'ivy'")).toEqual([{ n: 2 }]);
    expect((await (await running.client('jay')).upload(png)).status).toBe(202);
  });

  it('fails a document that does not fit in the day’s pages, then refuses uploads once the pages are used up', { timeout: 120_000 }, async () => {
    const running = await start({ MODE: 'all', QUOTA_PAGES_PER_DAY: '3' });
    const kim = await running.client('kim');

    const two = await kim.submit(await textPdf([['Page one'], ['Page two']]));
    expect((await waitForJob(kim, two.id)).status).toBe('SUCCEEDED');
    const tooMany = await kim.submit(await textPdf([['Page one'], ['Page two']]));
    const failed = await waitForJob(kim, tooMany.id);
    expect([failed.status, failed.error.code]).toEqual(['FAILED', 'QUOTA_EXCEEDED']);
    const one = await kim.submit(await textPdf([['The last page of the day']]));
    expect((await waitForJob(kim, one.id)).status).toBe('SUCCEEDED');

    const refused = await kim.upload(await textImage(['One page too many']));
    expect(await problem(refused.clone())).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(80_000); // the rest of the day
  });

  it('holds a subject to QUOTA_EVENT_STREAMS open event streams, and frees a place when one closes', async () => {
    // API only: the jobs stay QUEUED, so their streams stay open.
    const running = await start({ MODE: 'api', QUOTA_EVENT_STREAMS: '2' });
    const mo = await running.client('mo');
    const { id } = await mo.submit(await textImage(['Streams']));
    const authorization = `Bearer ${await token('mo')}`;
    const stream = async () => {
      const abort = new AbortController();
      const res = await fetch(`${mo.baseUrl}/jobs/${id}/events`, { headers: { authorization }, signal: abort.signal });
      return { res, close: () => abort.abort() };
    };
    const [a, b] = [await stream(), await stream()];
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    const third = await stream();
    expect(await problem(third.res)).toEqual([429, 'QUOTA_EXCEEDED']);
    expect((await (await running.client('ned')).upload(await textImage(['other subject']))).status).toBe(202);

    a.close();
    await eventually(async () => {
      const again = await stream();
      if (again.res.status === 200) return again.close() ?? true;
      await again.res.body?.cancel();
      return undefined;
    }, 10_000);
    b.close();
  });

  it('keeps limiting, per process, while Redis is down', async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    let up = true;
    try {
      const running = await start({ MODE: 'api', REDIS_URL: redis.url, QUOTA_REQUESTS_PER_MINUTE: '3' });
      const lee = await running.client('lee');
      expect((await lee.get('/jobs')).status).toBe(200);
      await redis.stop();
      up = false;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await lee.get('/jobs')).status);
      // The memory limiter starts its own count when Redis goes: some requests pass
      // (not everyone is refused), at most the limit of them, then 429s.
      const passed = statuses.filter((status) => status === 200).length;
      expect(passed, statuses.join()).toBeGreaterThanOrEqual(1);
      expect(passed, statuses.join()).toBeLessThanOrEqual(3);
      expect(statuses.slice(passed), statuses.join()).toEqual(Array(6 - passed).fill(429));
    } finally {
      if (up) await redis.stop();
    }
  });
});
