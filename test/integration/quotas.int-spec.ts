import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/common/app-error.js';
import { RedisService } from '../../src/infra/redis/redis.service.js';
import { Quotas } from '../../src/quota/quotas.js';
import { freePort } from '../support/process.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';

describe('Quotas.admit: the request and pages quotas in one Redis round trip', () => {
  let env: TestEnv;
  const connections: RedisService[] = [];

  beforeAll(async () => {
    env = await createTestEnv('int_quotas');
  });
  afterAll(async () => {
    await Promise.all(connections.map((redis) => redis.onApplicationShutdown()));
    await env?.cleanup();
  });

  /** A replica's quotas; with `redisUrl` of nothing listening, one whose Redis is down. */
  async function replica(overrides: Record<string, string>, redisUrl?: string): Promise<Quotas> {
    const config = env.config({ ...overrides, ...(redisUrl && { REDIS_URL: redisUrl }) });
    const redis = new RedisService(config);
    connections.push(redis);
    if (!redisUrl && redis.client.status !== 'ready') await once(redis.client, 'ready');
    return new Quotas(redis, config);
  }

  it('counts a subject’s requests across replicas and reports the request past the limit as exceeded', async () => {
    const limits = { QUOTA_REQUESTS_PER_MINUTE: '3', QUOTA_PAGES_PER_DAY: '10' };
    const [a, b] = [await replica(limits), await replica(limits)];

    const budgets = [await a.admit('gina'), await b.admit('gina', { pages: true }), await a.admit('gina'), await b.admit('gina')];
    expect(budgets.map(({ budget }) => [budget?.remaining, budget?.exceeded])).toEqual([[2, false], [1, false], [0, false], [0, true]]);
    expect(budgets.every(({ budget }) => budget!.limit === 3 && budget!.resetSeconds >= 1 && budget!.resetSeconds <= 60)).toBe(true);
    expect((await a.admit('hal')).budget).toMatchObject({ remaining: 2, exceeded: false });
  });

  it('reads the pages the worker charged, and reports the day used up only to uploads', async () => {
    const quotas = await replica({ QUOTA_REQUESTS_PER_MINUTE: '100', QUOTA_PAGES_PER_DAY: '3' });

    expect((await quotas.admit('kim', { pages: true })).pagesUsedUp).toBeUndefined();
    await quotas.chargePages('kim', 2);
    expect((await quotas.admit('kim', { pages: true })).pagesUsedUp).toBeUndefined();
    await quotas.chargePages('kim', 1);

    const upload = await quotas.admit('kim', { pages: true });
    expect(upload.pagesUsedUp?.perDay).toBe(3);
    expect(upload.pagesUsedUp!.retryAfterSeconds).toBeGreaterThan(80_000); // the rest of the day
    expect(upload.budget).toMatchObject({ remaining: 97, exceeded: false });
    expect((await quotas.admit('kim')).pagesUsedUp).toBeUndefined();
    await expect(quotas.chargePages('kim', 1)).rejects.toBeInstanceOf(DocumentError);
    expect((await quotas.admit('lou', { pages: true })).pagesUsedUp).toBeUndefined();
  });

  it('checks pages with requests unlimited, and asks nothing when neither is limited', async () => {
    const pagesOnly = await replica({ QUOTA_REQUESTS_PER_MINUTE: '0', QUOTA_PAGES_PER_DAY: '1' });
    await pagesOnly.chargePages('max', 1);
    expect(await pagesOnly.admit('max', { pages: true })).toEqual({ pagesUsedUp: { perDay: 1, retryAfterSeconds: expect.any(Number) } });
    expect(await pagesOnly.admit('max')).toEqual({});
    const neither = await replica({ QUOTA_REQUESTS_PER_MINUTE: '0', QUOTA_PAGES_PER_DAY: '0' });
    expect(await neither.admit('max', { pages: true })).toEqual({});
  });

  it('keeps both limits in this process’s memory while Redis is down', async () => {
    const quotas = await replica({ QUOTA_REQUESTS_PER_MINUTE: '2', QUOTA_PAGES_PER_DAY: '1' }, `redis://127.0.0.1:${await freePort()}`);

    const budgets = [await quotas.admit('lee'), await quotas.admit('lee'), await quotas.admit('lee')];
    expect(budgets.map(({ budget }) => budget?.exceeded)).toEqual([false, false, true]);
    // MODE=all: the worker's charge, counted in memory, is what the upload check reads.
    expect((await quotas.admit('ned', { pages: true })).pagesUsedUp).toBeUndefined();
    await quotas.chargePages('ned', 1);
    expect((await quotas.admit('ned', { pages: true })).pagesUsedUp?.perDay).toBe(1);
  });
});
