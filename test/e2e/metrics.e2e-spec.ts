import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob } from '../support/client.js';
import { createTestEnv, eventually, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort, startService, stopService } from '../support/process.js';
import { PrivateRedis } from '../support/redis-server.js';

/** One sample of the text exposition format: `name{a="x",b="y"} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the one sample with this name and these labels (among others), or undefined. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} series`);
  return found[0]?.value;
}

/** Scrapes like Prometheus does: no token. */
async function scrape(baseUrl: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${baseUrl}/metrics`);
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe('GET /metrics with ENABLE_METRICS=true, MODE=all', () => {
  let env: TestEnv;
  let running: RunningApp;
  let baseUrl: string;

  beforeAll(async () => {
    env = await createTestEnv('e2e_metrics_all');
    // An engine is replaced after every page, so the recycle counter has something to show.
    running = await startApp(env, { MODE: 'all', ENABLE_METRICS: 'true', OCR_RECYCLE_AFTER: '1' });
    baseUrl = await running.app.getUrl();
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('reports requests, the queue, waits, stages, pages, engine recycles, finished jobs and the process after one job', async () => {
    const client = await running.client('mira');
    const { id } = await client.submit(await textImage(['Metrics invoice 4410']));
    expect((await waitForJob(client, id)).status).toBe('SUCCEEDED');

    const { status, contentType, text } = await scrape(baseUrl);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parse(text);

    // Route patterns, never a job's id.
    const jobReads = { method: 'GET', route: '/jobs/:id', status_code: '200' };
    expect(value(samples, 'ocrflow_http_request_duration_seconds_count', jobReads)).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'ocrflow_http_request_duration_seconds_count', { method: 'POST', route: '/jobs', status_code: '202' })).toBe(1);
    expect(text).not.toContain(id);

    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      expect(value(samples, 'ocrflow_queue_jobs', { state }), state).toBe(0);
    }

    expect(value(samples, 'ocrflow_job_wait_seconds_count')).toBe(1);
    expect(value(samples, 'ocrflow_job_wait_seconds_sum')).toBeGreaterThanOrEqual(0);

    for (const stage of ['open', 'read', 'ocr', 'save']) {
      expect(value(samples, 'ocrflow_pipeline_stage_duration_seconds_count', { stage }), stage).toBe(1);
    }
    // An upright page read with confidence needs no orientation detection.
    expect(value(samples, 'ocrflow_pipeline_stage_duration_seconds_count', { stage: 'orientation' })).toBeUndefined();
    expect(value(samples, 'ocrflow_pipeline_stage_duration_seconds_sum', { stage: 'ocr' })).toBeGreaterThan(0);

    expect(value(samples, 'ocrflow_pages_total', { source: 'ocr', status: 'succeeded' })).toBe(1);
    expect(value(samples, 'ocrflow_ocr_engine_recycles_total', { pool: 'text', reason: 'jobs' })).toBe(1);
    expect(value(samples, 'ocrflow_jobs_finished_total', { status: 'succeeded' })).toBe(1);

    expect(value(samples, 'ocrflow_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(samples, 'ocrflow_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });
});

describe('GET /metrics across processes', () => {
  let env: TestEnv;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    env = await createTestEnv('e2e_metrics_split');
  });

  afterAll(async () => {
    for (const app of apps) await app.app.close();
    await env?.cleanup();
  });

  it('does not exist unless ENABLE_METRICS is set', async () => {
    const app = await startApp(env, { MODE: 'api' });
    apps.push(app);
    const res = await fetch(`${await app.app.getUrl()}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
  });

  it('is not rate-limited: a scraper is never throttled while other requests are', async () => {
    const app = await startApp(env, { MODE: 'api', ENABLE_METRICS: 'true', RATE_LIMIT_MAX: '3' });
    apps.push(app);
    const url = await app.app.getUrl();
    for (let i = 0; i < 6; i++) expect((await scrape(url)).status).toBe(200);
    const limited = [];
    for (let i = 0; i < 5; i++) limited.push((await fetch(`${url}/jobs`)).status);
    expect(limited).toContain(429);
  });

  it('shows a waiting job on the API, and a MODE=worker process serves /metrics on WORKER_PORT with the work it did', async () => {
    const api = await startApp(env, { MODE: 'api', ENABLE_METRICS: 'true' });
    apps.push(api);
    const apiUrl = await api.app.getUrl();
    const client = await api.client('noor');
    const { id } = await client.submit(await textImage(['Queued for later 27']));
    // No worker yet: the job waits on the queue, and the scrape says so.
    expect(value(parse((await scrape(apiUrl)).text), 'ocrflow_queue_jobs', { state: 'waiting' })).toBe(1);

    const workerPort = await freePort();
    const worker = startService({ ...env.env, MODE: 'worker', ENABLE_METRICS: 'true', WORKER_PORT: String(workerPort), PORT: '1' });
    try {
      const workerUrl = `http://127.0.0.1:${workerPort}`;
      await eventually(async () => ((await fetch(`${workerUrl}/health/live`).catch(() => undefined))?.ok ? true : undefined), 60_000)
        .catch((error) => {
          throw new Error(`worker did not start: ${error}\n${worker.output()}`);
        });
      expect((await waitForJob(client, id)).status).toBe('SUCCEEDED');

      const scraped = await scrape(workerUrl);
      expect(scraped.status).toBe(200);
      const samples = parse(scraped.text);
      expect(value(samples, 'ocrflow_pages_total', { source: 'ocr', status: 'succeeded' })).toBe(1);
      expect(value(samples, 'ocrflow_jobs_finished_total', { status: 'succeeded' })).toBe(1);
      expect(value(samples, 'ocrflow_job_wait_seconds_count')).toBe(1);
      expect(value(samples, 'ocrflow_queue_jobs', { state: 'waiting' })).toBe(0);
      expect(value(samples, 'ocrflow_process_resident_memory_bytes')).toBeGreaterThan(0);
      // The API process did none of that work and counts none of it.
      expect(value(parse((await scrape(apiUrl)).text), 'ocrflow_pages_total', { source: 'ocr', status: 'succeeded' })).toBeUndefined();
    } finally {
      expect(await stopService(worker)).toBe(0);
    }
  });
});

describe('GET /metrics while Redis is away', () => {
  let env: TestEnv;
  let redis: PrivateRedis;
  let running: RunningApp;

  beforeAll(async () => {
    env = await createTestEnv('e2e_metrics_redis');
    redis = new PrivateRedis(await freePort());
    await redis.start();
    running = await startApp(env, { MODE: 'api', ENABLE_METRICS: 'true', REDIS_URL: redis.url });
  });

  afterAll(async () => {
    await running?.app.close();
    await redis?.stop();
    await env?.cleanup();
  });

  it('still answers, without the queue gauge, and reports the queue again once Redis is back', async () => {
    const url = await running.app.getUrl();
    expect(value(parse((await scrape(url)).text), 'ocrflow_queue_jobs', { state: 'waiting' })).toBe(0);

    await redis.stop();
    const during = await scrape(url);
    expect(during.status).toBe(200);
    const samples = parse(during.text);
    expect(samples.filter((s) => s.name === 'ocrflow_queue_jobs')).toEqual([]);
    expect(value(samples, 'ocrflow_process_cpu_user_seconds_total')).toBeGreaterThan(0);

    await redis.start();
    await eventually(async () => value(parse((await scrape(url)).text), 'ocrflow_queue_jobs', { state: 'waiting' }), 20_000);
  });
});
