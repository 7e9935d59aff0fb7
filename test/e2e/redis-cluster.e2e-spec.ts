import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, waitForJob } from '../support/client.js';
import { createTestEnv, eventually, JWT_SECRET, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort, startService, stopService } from '../support/process.js';
import { RedisCluster } from '../support/redis-cluster.js';

const problem = async (res: Response) => [res.status, ((await res.json()) as any).code];

type Service = ReturnType<typeof startService>;

describe.each([
  { transport: 'redis://', tls: false },
  { transport: 'rediss:// (TLS)', tls: true },
])('on a Redis Cluster of three password-protected masters, over $transport', ({ tls }) => {
  const cluster = new RedisCluster({ tls });
  const prefix = `{ocrflow-${randomBytes(4).toString('hex')}}`;
  let env: TestEnv;
  /** The environment of a process of this deployment: the cluster through one seed node, a hash-tag prefix. */
  let clusterEnv: Record<string, string>;
  const services: Service[] = [];
  let apiUrl: string;

  /** A process of the service; like a load balancer, the test sends it nothing until it is ready. */
  async function start(overrides: Record<string, string>): Promise<string> {
    const port = await freePort();
    const isWorker = overrides.MODE === 'worker';
    const service = startService({ ...clusterEnv, ...overrides, ...(isWorker ? { WORKER_PORT: String(port), PORT: '1' } : { PORT: String(port) }) });
    services.push(service);
    const url = `http://127.0.0.1:${port}`;
    // Until its cluster connection is up, the limits count in memory (quotas) or not at all (rate limit).
    await eventually(async () => ((await fetch(`${url}/health/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000).catch((error) => {
      throw new Error(`${overrides.MODE} did not become ready on the cluster: ${error}\n${service.output()}`);
    });
    return url;
  }

  beforeAll(async () => {
    await cluster.start();
    env = await createTestEnv('e2e_cluster');
    // Seeded from a node that does not hold the hash tag's slot: a client that took
    // REDIS_URL for the whole of Redis would be answered MOVED for every queue key.
    const { port: owner } = await cluster.owner(prefix);
    const seed = cluster.ports.find((port) => port !== owner)!;
    clusterEnv = {
      ...env.env,
      REDIS_URL: cluster.url(seed),
      REDIS_CLUSTER: 'true',
      QUEUE_PREFIX: prefix,
      // The nodes' certificates come from the test's own CA.
      ...(tls && { NODE_EXTRA_CA_CERTS: cluster.caFile }),
    };
    apiUrl = await start({ MODE: 'api', ENABLE_METRICS: 'true' });
    await start({ MODE: 'worker' });
  });

  afterAll(async () => {
    try {
      // Every process shuts down cleanly, closing its cluster connections.
      for (const service of services) expect(await stopService(service), service.output()).toBe(0);
    } finally {
      await env?.cleanup();
      await cluster.stop();
    }
  });

  it('runs a job end to end: the API process queues it, the worker process reads it, its events reach the API’s client', async () => {
    const client = new ApiClient(apiUrl).as(await token('dana'));
    const { id } = await client.submit(await textImage(['Cluster receipt 4417', 'Paid in full']));
    const streamed = client.events(`/jobs/${id}/events`);

    const done = await waitForJob(client, id).catch((error) => {
      throw new Error(`${error}\n${services.map((s) => s.output()).join('\n---\n')}`);
    });
    expect(done.status).toBe('SUCCEEDED');
    const { body } = await client.json(`/jobs/${id}/results`);
    expect(body.text).toContain('4417');
    expect(body.text).toMatch(/Paid in full/);
    // Published by the worker process, heard by the API process's subscriber.
    expect((await streamed).map((e) => e.type)).toEqual(['queued', 'started', 'page.completed', 'succeeded']);

    // The dashboard reads the queue through the cluster and lists the finished job.
    const admin = { authorization: `Bearer ${await token('operator', JWT_SECRET, 'admin')}` };
    const res = await fetch(`${apiUrl}/admin/queues/api/queues?activeQueue=ocr&status=completed`, { headers: admin });
    expect(res.status).toBe(200);
    const ocr = ((await res.json()) as any).queues.find((q: any) => q.name === 'ocr');
    expect(ocr.counts.completed).toBeGreaterThanOrEqual(1);
    expect(ocr.jobs.map((job: any) => job.id)).toContain(`ocr-${id}`);

    // So do the metrics' queue gauges (absent when the queue cannot be read).
    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^ocrflow_queue_jobs\{state="waiting"\} 0$/m);
  });

  it('enforces the request and page quotas with counts kept in the cluster', async () => {
    // This replica counts; the first API process (no request quota) polls the job for it.
    const quotasUrl = await start({ MODE: 'api', QUOTA_REQUESTS_PER_MINUTE: '3', QUOTA_PAGES_PER_DAY: '1' });
    const quinn = new ApiClient(quotasUrl).as(await token('quinn'));
    for (let i = 0; i < 3; i++) expect((await quinn.get('/jobs')).status).toBe(200);
    const refused = await quinn.get('/jobs');
    expect(await problem(refused.clone())).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(refused.headers.get('ratelimit-limit')).toBe('3');

    // The worker process charges the page; this replica then sees the day used up.
    const kim = new ApiClient(quotasUrl).as(await token('kim'));
    const { id } = await kim.submit(await textImage(['The only page today']));
    expect((await waitForJob(new ApiClient(apiUrl).as(await token('kim')), id)).status).toBe('SUCCEEDED');
    const overQuota = await kim.upload(await textImage(['One page too many']));
    expect(await problem(overQuota.clone())).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(Number(overQuota.headers.get('retry-after'))).toBeGreaterThan(80_000); // the rest of the day
  });

  it('limits a client address past RATE_LIMIT_MAX, counted in the cluster', async () => {
    // Its own client address (from X-Forwarded-For): the other tests' requests all come from 127.0.0.1.
    const url = `${await start({ MODE: 'api', RATE_LIMIT_MAX: '4', TRUST_PROXY: 'true' })}/jobs`;
    const headers = { authorization: `Bearer ${await token('frank')}`, 'x-forwarded-for': '203.0.113.7' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(url, { headers })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const refused = await fetch(url, { headers });
    expect(await problem(refused.clone())).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  // After the tests above: their queue, quota and rate-limit keys.
  it('keeps every key of the deployment in the one slot of its hash tag', async () => {
    const { port, slot } = await cluster.owner(prefix);
    const keys: string[] = await cluster.ask(port, 'KEYS', `${prefix}:*`);
    expect(keys).toEqual(expect.arrayContaining([`${prefix}:ocr:meta`, `${prefix}:quota:requests:quinn`, `${prefix}:quota:pages:kim`]));
    expect(keys.some((key) => key.startsWith(`${prefix}:ratelimit:`))).toBe(true);
    expect(new Set(await Promise.all(keys.map(async (key) => Number(await cluster.ask(port, 'CLUSTER', 'KEYSLOT', key)))))).toEqual(new Set([slot]));
    expect(Number(await cluster.ask(port, 'CLUSTER', 'COUNTKEYSINSLOT', slot))).toBeGreaterThan(0);
    for (const other of cluster.ports.filter((p) => p !== port)) {
      expect(await cluster.ask(other, 'KEYS', `${prefix}:*`), `node ${other}`).toEqual([]);
    }
  });
});
