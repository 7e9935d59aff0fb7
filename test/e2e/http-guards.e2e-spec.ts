import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { createTestEnv, eventually, type TestEnv } from '../support/harness.js';

const MAX = 5;

describe('HTTP guards: shared rate limits, CORS, security headers', () => {
  let env: TestEnv;
  let replicas: RunningApp[];

  beforeAll(async () => {
    env = await createTestEnv('e2e_rate_limit');
    const config = {
      MODE: 'api',
      RATE_LIMIT_MAX: String(MAX),
      RATE_LIMIT_WINDOW_MS: '60000',
      CORS_ORIGIN: 'https://app.example',
    };
    replicas = [await startApp(env, config), await startApp(env, config)];
  });

  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.app.close();
    await env?.cleanup();
  });

  it('counts a client across replicas and answers 429 with Retry-After past the budget', async () => {
    const [a, b] = await Promise.all(replicas.map((replica) => replica.client('frank')));
    // Traffic comes once a replica is ready, as behind a load balancer: until its Redis
    // connection is up the limit lets requests through uncounted (skipOnError), and a
    // request sent that early failed this test about one run in six.
    for (const client of [a!, b!]) {
      await eventually(async () => ((await client.get('/health/ready')).status === 200 ? true : undefined), 10_000);
    }
    const statuses: number[] = [];
    for (let i = 0; i < MAX; i++) statuses.push((await (i % 2 ? b! : a!).get('/jobs')).status);
    expect(statuses).toEqual(Array(MAX).fill(200));

    const limited = await b!.get('/jobs');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await limited.json()) as any;
    expect(body.code).toBe('RATE_LIMITED');
    expect(limited.headers.get('content-type')).toContain('application/problem+json');

    // Health checks are never limited: load balancers must keep seeing the truth.
    expect((await a!.get('/health/live')).status).toBe(200);
  });

  it('allows only the configured browser origin, and sends security headers', async () => {
    const url = `${(await replicas[0]!.client()).baseUrl}/jobs`;
    const preflight = (origin: string) =>
      fetch(url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight('https://app.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const health = await fetch(url.replace('/jobs', '/health/live'));
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-request-id')).toBeTruthy();
  });
});
