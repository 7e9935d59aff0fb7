import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/infra/prisma/prisma.service.js';
import { ocrQueueJobId, QueueName } from '../../src/jobs/queue-contract.js';
import { RedisService } from '../../src/infra/redis/redis.service.js';
import { JobEventBus } from '../../src/jobs/job-event-bus.js';
import { JobLifecycle } from '../../src/jobs/job-lifecycle.js';
import { JobStateRepository } from '../../src/jobs/job-state.repository.js';
import { JobsRepository } from '../../src/jobs/jobs.repository.js';
import { QueueConnection } from '../../src/infra/redis/queue-connection.js';
import { OcrJobProducer } from '../../src/jobs/ocr-job.producer.js';
import { ReconcilerService } from '../../src/modules/processing/reconciler.service.js';
import { createTestEnv, REDIS_URL, type TestEnv } from '../support/harness.js';

const MINUTE = 60_000;

describe('ReconcilerService on PostgreSQL and Redis', () => {
  let env: TestEnv;
  let prisma: PrismaService;
  let queue: Queue;
  let redis: RedisService;
  let connection: QueueConnection;
  let state: JobStateRepository;
  let jobs: JobsRepository;
  let reconciler: ReconcilerService;

  beforeAll(async () => {
    env = await createTestEnv('int_reconciler');
    const config = env.config({ RECONCILE_GRACE_MS: String(MINUTE), JOB_LEASE_MS: String(10 * MINUTE) });
    prisma = new PrismaService(config);
    queue = new Queue(QueueName.OCR, { connection: { url: REDIS_URL }, prefix: env.queuePrefix });
    redis = new RedisService(config);
    state = new JobStateRepository(prisma);
    const lifecycle = new JobLifecycle(state, new JobEventBus(redis, config));
    jobs = new JobsRepository(prisma);
    connection = new QueueConnection(config);
    reconciler = new ReconcilerService(jobs, lifecycle, new OcrJobProducer(queue, connection, config), config);
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.onApplicationShutdown();
    await connection?.onApplicationShutdown();
    await prisma?.$disconnect();
    await env?.cleanup();
  });
  beforeEach(async () => {
    await env.sql('DELETE FROM jobs');
    await queue.obliterate({ force: true });
  });

  /** A job row as an earlier moment left it: `minutesAgo` since its last change. */
  async function row(status: string, minutesAgo: number, attempts = 0): Promise<string> {
    const id = randomUUID();
    await env.sql(
      `INSERT INTO jobs (id, owner_id, status, media_type, size_bytes, original_key, attempts, created_at, updated_at)
       VALUES ($1, 'alice', $2::"JobStatus", 'image/png', 1, 'k', $3, now(), now() - make_interval(mins => $4))`,
      [id, status, attempts, minutesAgo],
    );
    return id;
  }
  const stateOf = (id: string) => queue.getJobState(ocrQueueJobId(id));
  const statusOf = async (id: string) => (await state.job(id))?.status;

  it('re-enqueues queued jobs that Redis forgot, once, and leaves fresh uploads alone', async () => {
    const forgotten = await row('QUEUED', 5);
    const fresh = await row('QUEUED', 0);
    expect(await reconciler.reconcile()).toMatchObject({ requeued: 1 });
    expect(await stateOf(forgotten)).toBe('waiting');
    expect(await stateOf(fresh)).toBe('unknown');
    expect(await reconciler.reconcile()).toMatchObject({ requeued: 0 });
    expect(await queue.count()).toBe(1);
  });

  it('replaces a failed queue entry left behind by a queued job', async () => {
    // E.g. the database was down when a worker took the entry, until its attempts ran out.
    const id = await row('QUEUED', 5);
    await queue.add('ocr.document', { v: 1, jobId: id }, { jobId: ocrQueueJobId(id), attempts: 1 });
    const worker = new Worker(
      QueueName.OCR,
      async () => {
        throw new Error('database was down');
      },
      { connection: { url: REDIS_URL }, prefix: env.queuePrefix },
    );
    await new Promise((resolve) => worker.once('failed', resolve));
    await worker.close();
    expect(await stateOf(id)).toBe('failed');

    expect(await reconciler.reconcile()).toMatchObject({ requeued: 1 });
    expect(await stateOf(id)).toBe('waiting');
  });

  it('retries a running job whose worker vanished, and fails it once attempts are spent', async () => {
    const retry = await row('RUNNING', 20, 1);
    const spent = await row('RUNNING', 20, 3);
    const recent = await row('RUNNING', 1, 1);
    expect(await reconciler.reconcile()).toEqual({ requeued: 0, retried: 1, failed: 1 });
    expect(await statusOf(retry)).toBe('QUEUED');
    // Each move is an event a follower sees: back in the queue, and failed for good.
    expect((await jobs.eventsAfter(retry, 0, 10)).map((e) => e.type)).toEqual(['queued']);
    expect((await jobs.eventsAfter(spent, 0, 10)).map((e) => [e.type, e.data])).toEqual([
      ['failed', { error: { code: 'INTERNAL', message: 'The worker processing this job was lost' } }],
    ]);
    expect(await stateOf(retry)).toBe('waiting');
    const failed = await state.job(spent);
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'INTERNAL' });
    expect(await statusOf(recent)).toBe('RUNNING');
  });

  it('leaves a long-running job alone while its queue entry is alive', async () => {
    const id = await row('RUNNING', 20, 1);
    await queue.add('ocr.document', { v: 1, jobId: id }, { jobId: ocrQueueJobId(id), delay: MINUTE });
    expect(await reconciler.reconcile()).toEqual({ requeued: 0, retried: 0, failed: 0 });
    expect(await statusOf(id)).toBe('RUNNING');
  });

  it('puts every queued job back, fresh uploads too, on the first tick after Redis lost the queue, and only queued ones a minute apart otherwise', async () => {
    const now = Date.now();
    await reconciler.tick(now); // the marker is set: this Redis has the queue
    const fresh = await row('QUEUED', 0);
    const forgotten = await row('QUEUED', 5);
    // Within the minute, and Redis kept its data: the queued jobs are not looked at.
    expect(await reconciler.tick(now + 5_000)).toEqual({ requeued: 0, retried: 0, failed: 0 });
    expect(await stateOf(forgotten)).toBe('unknown');

    // A flush (or a restart without persistence) takes the marker with the queue.
    await redis.client.del(`${env.queuePrefix}:queue-epoch`);
    expect(await reconciler.tick(now + 10_000)).toMatchObject({ requeued: 2 });
    expect([await stateOf(fresh), await stateOf(forgotten)]).toEqual(['waiting', 'waiting']);
    expect(await reconciler.tick(now + 15_000)).toMatchObject({ requeued: 0 });
  });
});
