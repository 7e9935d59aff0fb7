import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_SCHEDULER_ID } from '../../src/jobs/queue-contract.js';
import { RetentionService, type PurgeReport } from '../../src/modules/retention/retention.service.js';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, eventually, REDIS_URL, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

/** Two replicas of the service: one serving and working, one only working; both run the maintenance queue. */
async function twoReplicas(env: TestEnv, settings: Record<string, string>): Promise<[RunningApp, RunningApp]> {
  return [await startApp(env, { MODE: 'all', ...settings }), await startApp(env, { MODE: 'worker', ...settings })];
}

async function finishedJobs(client: ApiClient, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await client.submit(await textImage([`${label} ${i + 1}`]))).id);
  for (const id of ids) expect((await waitForJob(client, id)).status).toBe('SUCCEEDED');
  return ids;
}

const ageDays = (env: TestEnv, ids: string[], days: number) =>
  env.sql(`UPDATE jobs SET finished_at = now() - $2::float8 * interval '1 day' WHERE id = ANY($1::uuid[])`, [ids, days]);
const remaining = async (env: TestEnv) => (await env.sql<{ id: string }>('SELECT id FROM jobs')).map((row) => row.id).sort();
const filesOf = async (env: TestEnv, ids: string[]) => (await env.artifactFiles()).filter((path) => ids.some((id) => path.includes(id)));

describe('retention (JOB_RETENTION_DAYS=1), scheduled every second on two replicas', () => {
  let env: TestEnv;
  let replicas: RunningApp[] = [];

  beforeAll(async () => {
    env = await createTestEnv('e2e_retention');
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.app.close();
    await env?.cleanup();
  });

  it('purges old finished jobs with their files and expired keys once, and leaves young ones', async () => {
    replicas = await twoReplicas(env, { JOB_RETENTION_DAYS: '1', MAINTENANCE_INTERVAL_MS: '1000' });
    const alice = await replicas[0]!.client('alice');
    const old = await finishedJobs(alice, 3, 'Old receipt');
    const [young] = await finishedJobs(alice, 1, 'Young receipt');
    const keyed = await alice.upload(await textImage(['Keyed']), { headers: { 'Idempotency-Key': 'young-key' } });
    expect(keyed.status).toBe(202);
    const keyedId: string = ((await keyed.json()) as any).id;
    await waitForJob(alice, keyedId);
    await env.sql(`INSERT INTO idempotency_keys (owner_id, key, request_hash, created_at) VALUES ('alice', 'old-key', 'x', now() - interval '25 hours')`);
    // Ages the old ones: a day and a second is past the limit, 23 hours is not.
    await ageDays(env, [young!], 0.96);
    await ageDays(env, old, 1.01);

    await eventually(async () => ((await remaining(env)).length <= 2 ? true : undefined), 60_000);
    expect(await remaining(env)).toEqual([young!, keyedId].sort());
    expect(await filesOf(env, old)).toEqual([]);
    expect(await filesOf(env, [young!])).toHaveLength(1);
    expect(await env.sql('SELECT count(*)::int AS n FROM job_pages WHERE job_id = ANY($1::uuid[])', [old])).toEqual([{ n: 0 }]);
    await eventually(async () => ((await env.sql('SELECT key FROM idempotency_keys')).length === 1 ? true : undefined), 30_000);
    expect(await env.sql('SELECT key FROM idempotency_keys')).toEqual([{ key: 'young-key' }]);
    expect((await alice.json(`/jobs/${young}/results`)).body.text).toContain('Young receipt');

    // Every run is one BullMQ job taken by one replica; their reports add up to each old job once.
    const queue = new Queue('maintenance', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: env.queuePrefix });
    try {
      const runs = await queue.getJobs(['completed']);
      expect(runs.length).toBeGreaterThan(0);
      const total = runs.map((run) => run.returnvalue as PurgeReport).reduce((sum, report) => ({ jobs: sum.jobs + report.jobs, keys: sum.keys + report.keys }), { jobs: 0, keys: 0 });
      expect(total).toEqual({ jobs: 3, keys: 1 });
    } finally {
      await queue.close();
    }
  });
});

describe('retention run by two replicas at the same moment', () => {
  let env: TestEnv;
  let replicas: RunningApp[] = [];

  beforeAll(async () => {
    env = await createTestEnv('e2e_retention_race');
    // An hour between scheduled runs: only the two runs below happen.
    replicas = await twoReplicas(env, { JOB_RETENTION_DAYS: '2', MAINTENANCE_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.app.close();
    await env?.cleanup();
  });

  it('deletes each job once between them, and keeps unfinished and young jobs', async () => {
    const alice = await replicas[0]!.client('alice');
    const old = await finishedJobs(alice, 4, 'Race receipt');
    await ageDays(env, old, 3);
    const [young] = await finishedJobs(alice, 1, 'Kept receipt');

    const reports = await Promise.all(replicas.map((replica) => replica.app.get(RetentionService).purge()));
    expect(reports.reduce((sum, report) => sum + report.jobs, 0)).toBe(4);
    expect(reports.every((report) => report.kept === 0)).toBe(true);
    expect(await remaining(env)).toEqual([young]);
    expect(await filesOf(env, old)).toEqual([]);
  });

  it('schedules the purge again when Redis lost the maintenance queue', async () => {
    const queue = new Queue('maintenance', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: env.queuePrefix });
    try {
      expect(await queue.getJobScheduler(MAINTENANCE_SCHEDULER_ID)).toMatchObject({ every: 3_600_000 });
      await queue.obliterate({ force: true }); // what a flush or a restart without persistence does to it
      expect(await queue.getJobScheduler(MAINTENANCE_SCHEDULER_ID)).toBeUndefined();
      await eventually(async () => (await queue.getJobScheduler(MAINTENANCE_SCHEDULER_ID)) ?? undefined, 30_000);
      expect(await queue.getJobSchedulersCount()).toBe(1);
    } finally {
      await queue.close();
    }
  });
});
