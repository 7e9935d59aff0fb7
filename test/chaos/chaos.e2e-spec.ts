import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createTestEnv, SERVER_URL, type TestEnv } from '../support/harness.js';
import { freePort } from '../support/process.js';
import { PrivateRedis } from '../support/redis-server.js';
import {
  cancelStorm,
  databaseConnectionsKilled,
  redisFlushed,
  redisRestarted,
  runFaults,
  workerKilled,
  workerTerminated,
  type CancelAnswer,
  type FaultRecord,
} from './faults.js';
import { ServiceSlot } from './fleet.js';
import { Observer } from './observer.js';
import { table, tally, type Probe } from './tally.js';
import { WebhookProbe } from './webhooks.js';
import { clientsFor, planDocuments, pollJobs, random, submitAll, type Submission } from './workload.js';

/** Documents submitted over the run; a tenth are cancelled. */
const JOBS = Number(process.env.CHAOS_JOBS ?? 200);
/** The target: every job terminal this long after the last fault ended. */
const RECOVERY_TARGET_MS = 60_000;
/** How long the run waits for stragglers past the target, to say how late they were. */
const GRACE_MS = 20_000;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella'];
/** Clients hold back while this many jobs are unfinished: see `submitAll`. */
const MAX_BACKLOG = 40;
/** Uploads not sent by then are counted as such: the service stopped finishing jobs. */
const SUBMIT_DEADLINE_MS = 150_000;
/**
 * How long after the jobs the last webhooks may come: a delivery whose queue
 * entry Redis lost is queued again once `RECONCILE_GRACE_MS` (30 s) has passed.
 */
const WEBHOOK_WAIT_MS = 90_000;

/**
 * Settings for a development run only, e.g. `CHAOS_SERVICE_ENV='JOB_LEASE_MS=60000'`.
 * The suite as committed runs the service's defaults: the target is recovery
 * with the defaults.
 */
function devOverrides(): Record<string, string> {
  const pairs = (process.env.CHAOS_SERVICE_ENV ?? '').split(',').filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => pair.split('=') as [string, string]));
}

describe('chaos: two APIs and two workers under load, faults mixed', () => {
  let env: TestEnv;
  let redis: PrivateRedis;
  let observer: Observer;
  const apis: ServiceSlot[] = [];
  const workers: ServiceSlot[] = [];
  /** Other watchers of the run: each adds lines to the table. */
  const webhooks = new WebhookProbe();
  const probes: Probe[] = [webhooks];

  beforeAll(async () => {
    env = await createTestEnv('chaos');
    redis = new PrivateRedis(await freePort());
    await redis.start();
    observer = new Observer(env.databaseUrl);
    await webhooks.start();
    const service = {
      ...env.env,
      REDIS_URL: redis.url,
      // Every job's end is POSTed to the probe's receiver.
      ...webhooks.settings,
      // The default on two cores (the test environment's is 1): a killed worker takes two jobs with it.
      QUEUE_CONCURRENCY: '2',
      ...devOverrides(),
    };
    apis.push(await ServiceSlot.create('api-a', 'api', { ...service, LOG_LEVEL: 'warn' }));
    apis.push(await ServiceSlot.create('api-b', 'api', { ...service, LOG_LEVEL: 'warn' }));
    // Debug: the workers print a line per page recognised, which the tally counts.
    workers.push(await ServiceSlot.create('worker-a', 'worker', { ...service, LOG_LEVEL: 'debug' }));
    workers.push(await ServiceSlot.create('worker-b', 'worker', { ...service, LOG_LEVEL: 'debug' }));
    await Promise.all([...apis, ...workers].map((slot) => slot.start()));
  });

  afterAll(async () => {
    // `CHAOS_LOG_DIR=/some/dir` keeps every process's output for a closer look.
    const dir = process.env.CHAOS_LOG_DIR;
    if (dir) {
      await mkdir(dir, { recursive: true });
      for (const slot of [...apis, ...workers]) {
        for (const [name, output] of slot.outputs()) await writeFile(join(dir, `${name}.log`), output);
      }
    }
    await Promise.all([...apis, ...workers].map((slot) => slot.stop()));
    await observer?.close();
    await webhooks.stop();
    await redis?.stop();
    await env?.cleanup();
  });

  it('loses no job, finishes none twice, and is done within a minute of the last fault', { timeout: 360_000 }, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
    const rand = random(seed);
    const planned = await planDocuments(JOBS, TENANTS, rand);
    const clients = await clientsFor(Object.fromEntries(apis.map((api) => [api.name, api.baseUrl])), TENANTS);
    const accepted: Submission[] = [];
    const cancels: CancelAnswer[] = [];
    let nextApi = 0;
    const anyApi = (s: Submission): ApiClient => clients.get(`${apis[nextApi++ % apis.length]!.name}/${s.tenant}`)!;

    const loadStartedAt = Date.now();
    const submitting = submitAll(planned, apis.map((api) => api.name), clients, {
      spreadMs: 40_000,
      parallel: 6,
      backlog: async () => (await observer.unfinished()).length,
      maxBacklog: MAX_BACKLOG,
      deadline: loadStartedAt + SUBMIT_DEADLINE_MS,
      onAccepted: (s) => accepted.push(s),
    });
    const stopPolling = new AbortController();
    const polling = pollJobs(() => accepted, clients, apis.map((api) => api.name), random(seed + 1), stopPolling.signal);
    const [workerA, workerB] = workers as [ServiceSlot, ServiceSlot];
    // A few seconds apart while uploads continue; the last waits for the last upload. The cancel
    // storm is not last: it would end jobs other faults left stuck, and hide that they were.
    const faults: FaultRecord[] = await runFaults(
      [
        { name: 'worker SIGKILL', at: 6_000, ...workerKilled(workerA, observer, () => accepted) },
        { name: 'Redis restarted empty', at: 14_000, run: redisRestarted(redis) },
        { name: 'Redis FLUSHALL', at: 22_000, run: redisFlushed(redis.url) },
        { name: 'cancel storm', at: 28_000, run: cancelStorm(() => accepted, anyApi, observer, { count: Math.round(JOBS / 10), rand, answers: cancels }) },
        { name: 'worker SIGTERM', at: 34_000, run: workerTerminated(workerB) },
        { name: 'database connections killed', at: 42_000, after: submitting, run: databaseConnectionsKilled(SERVER_URL, new URL(env.databaseUrl).pathname.slice(1)) },
      ],
      loadStartedAt,
      observer,
    );
    const submissions = await submitting;

    // Wait for every job to end, or for the target and some grace to pass.
    const lastFaultEnd = faults.at(-1)!.endedAt;
    while (Date.now() < lastFaultEnd + RECOVERY_TARGET_MS + GRACE_MS && (await observer.unfinished()).length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }

    stopPolling.abort();
    const polled = await polling;
    const jobs = await observer.jobs();
    const webhooksDeadline = Date.now() + WEBHOOK_WAIT_MS;
    while (Date.now() < webhooksDeadline && webhooks.count(jobs).missing.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const t = tally({
      submissions,
      jobs,
      events: await observer.events(),
      results: await observer.resultTexts(),
      faults,
      cancels,
      workerLogs: workers.flatMap((worker) => worker.logLines()),
      endings: new Map(workers.flatMap((worker) => [...worker.endings()])),
      unexpectedExits: [...apis, ...workers].flatMap((slot) => slot.unexpectedExits()),
      polled,
    });
    const extra = (await Promise.all(probes.map((probe) => probe.rows(jobs)))).flat();
    console.log(`${table(t, extra)}\n  seed ${seed} (CHAOS_SEED), ${JOBS} jobs (CHAOS_JOBS)`);
    const problems = [...apis, ...workers].flatMap((slot) => slot.problems()).map(({ process, line }) => `${process}: ${line.msg}`);
    if (problems.length > 0) console.log(`service warnings and errors (${problems.length}):\n  ${[...new Set(problems)].slice(0, 30).join('\n  ')}`);

    // The run must have been a real one: most uploads accepted, every fault hitting live work.
    expect(t.accepted.length).toBeGreaterThan(JOBS * 0.8);
    expect(t.final.CANCELLED ?? 0).toBeGreaterThan(0);
    expect(t.unexpectedExits).toEqual([]);
    expect(t.lost).toEqual([]);
    expect(t.unacknowledged).toEqual([]);
    expect(t.finishedTwice).toEqual([]);
    expect(t.eventsAfterEnd).toEqual([]);
    expect(t.pagesStoredTwice).toEqual([]);
    expect(t.wrongResult).toEqual([]);
    expect(t.cancelNotHonoured).toEqual([]);
    expect(t.drainMs).toBeLessThanOrEqual(RECOVERY_TARGET_MS);
    const hooks = webhooks.count(jobs);
    expect(hooks.missing).toEqual([]);
    expect(hooks.duplicated).toEqual([]);
    expect(hooks.wrong).toEqual([]);
  });
});
