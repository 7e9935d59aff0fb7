import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { createTestEnv, eventually, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort } from '../support/process.js';
import { PrivateRedis } from '../support/redis-server.js';

describe('Redis goes away and comes back', () => {
  let env: TestEnv;
  let redis: PrivateRedis;
  let running: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_redis_outage');
    redis = new PrivateRedis(await freePort());
    await redis.start();
    running = await startApp(env, { MODE: 'all', REDIS_URL: redis.url });
    client = await running.client('erin');
  });

  afterAll(async () => {
    await running?.app.close();
    await redis?.stop();
    await env?.cleanup();
  });

  it('reports degraded, refuses uploads cleanly, keeps reads, then recovers', async () => {
    const before = await client.submit(await textImage(['before outage']));
    expect((await waitForJob(client, before.id)).status).toBe('SUCCEEDED');

    await redis.stop();
    const health = await eventually(async () => {
      const res = await client.json('/health');
      return res.body.details?.redis?.status === 'degraded' ? res : undefined;
    }, 15_000);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.details.database.status).toBe('up');

    const refused = await client.upload(await textImage(['during outage']));
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as any).code).toBe('QUEUE_UNAVAILABLE');
    // Nothing half-written: only the job from before the outage exists.
    expect(await env.sql('SELECT id FROM jobs')).toEqual([{ id: before.id }]);
    expect(await env.artifactFiles()).toHaveLength(1);
    // Reads come from the database and keep working.
    expect((await client.json(`/jobs/${before.id}/results`)).status).toBe(200);

    await redis.start();
    await eventually(async () => ((await client.json('/health')).body.status === 'ok' ? true : undefined), 20_000);
    const after = await client.submit(await textImage(['after outage']));
    expect((await waitForJob(client, after.id)).status).toBe('SUCCEEDED');
  });
});
