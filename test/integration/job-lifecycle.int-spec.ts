import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/infra/prisma/prisma.service.js';
import { RedisService } from '../../src/infra/redis/redis.service.js';
import { JobEventBus } from '../../src/jobs/job-event-bus.js';
import { JobLifecycle } from '../../src/jobs/job-lifecycle.js';
import type { PageOutcome } from '../../src/jobs/job-result.js';
import { JobStateRepository } from '../../src/jobs/job-state.repository.js';
import { JobsRepository } from '../../src/jobs/jobs.repository.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';

const text = (number: number, words: string): PageOutcome => ({
  number,
  status: 'SUCCEEDED',
  source: 'ocr',
  rotation: 0,
  result: { width: 100, height: 50, text: words, confidence: 90, lines: [] },
  timings: { ocr: 5 },
});
const failed = (number: number, code = 'PAGE_TOO_LARGE'): PageOutcome => ({
  number,
  status: 'FAILED',
  error: { code, message: 'too big' },
  timings: {},
});

describe('JobLifecycle on PostgreSQL and Redis', () => {
  let env: TestEnv;
  let prisma: PrismaService;
  let redis: RedisService;
  let state: JobStateRepository;
  let jobs: JobsRepository;
  let lifecycle: JobLifecycle;

  beforeAll(async () => {
    env = await createTestEnv('int_lifecycle');
    const config = env.config();
    prisma = new PrismaService(config);
    redis = new RedisService(config);
    state = new JobStateRepository(prisma);
    jobs = new JobsRepository(prisma);
    lifecycle = new JobLifecycle(state, new JobEventBus(redis, config));
  });
  afterAll(async () => {
    await redis?.onApplicationShutdown();
    await prisma?.$disconnect();
    await env?.cleanup();
  });

  const create = async (ownerId = 'alice', maxUnfinished = 0) => {
    const id = randomUUID();
    const fields = { fileName: 'a.pdf', mediaType: 'application/pdf', sizeBytes: 10, originalKey: `jobs/${id}/original` };
    const job = await lifecycle.create({ id, ownerId, ...fields, options: { ocr: 'auto' }, password: 'secret' }, maxUnfinished);
    if (!job) throw new Error('refused');
    return job;
  };
  const events = async (id: string) => (await jobs.eventsAfter(id, 0, 100)).map((e) => [e.seq, e.type]);

  it('moves a job through its pages to PARTIAL, one event per transition, in order', async () => {
    const { id } = await create();
    expect((await lifecycle.start(id))?.attempts).toBe(1);
    // A redelivery after a crash finds it RUNNING and may run it again.
    expect((await lifecycle.start(id))?.attempts).toBe(2);
    expect(await lifecycle.plan(id, 2)).toBe(true);
    expect(await lifecycle.completePage(id, text(1, 'hello'))).toBe(true);
    expect(await lifecycle.completePage(id, failed(2))).toBe(true);
    expect(await jobs.findOwned(id, 'alice')).toMatchObject({ pagesTotal: 2, pagesDone: 1, pagesFailed: 1 });
    expect(await lifecycle.finish(id)).toBe(true);

    const done = await jobs.findOwnedWithResult(id, 'alice');
    expect(done).toMatchObject({ status: 'PARTIAL', password: null, result: { text: 'hello\n\f' } });
    expect(done?.pages.map((p) => [p.number, p.status, p.errorCode])).toEqual([
      [1, 'SUCCEEDED', null],
      [2, 'FAILED', 'PAGE_TOO_LARGE'],
    ]);
    expect(await events(id)).toEqual([
      [1, 'queued'],
      [2, 'started'],
      [3, 'started'],
      [4, 'page.completed'],
      [5, 'page.completed'],
      [6, 'partial'],
    ]);
    const [, , , , page2] = await jobs.eventsAfter(id, 0, 100);
    expect(page2?.data).toEqual({ page: 2, status: 'FAILED', error: { code: 'PAGE_TOO_LARGE', message: 'too big' }, done: 1, failed: 1, total: 2 });
  });

  it('changes nothing once finished, and says so', async () => {
    const { id } = await create();
    await lifecycle.start(id);
    await lifecycle.completePage(id, text(1, 'a'));
    expect(await lifecycle.fail(id, 'CORRUPT_FILE', 'bad data')).toBe(true);
    // The late arrivals of a worker that did not know.
    expect(await lifecycle.completePage(id, text(2, 'b'))).toBe(false);
    expect(await lifecycle.finish(id)).toBe(false);
    expect(await lifecycle.start(id)).toBeNull();
    expect(await lifecycle.requeue(id, new Date())).toBe(false);
    const job = await jobs.findOwned(id, 'alice');
    expect(job).toMatchObject({ status: 'FAILED', errorCode: 'CORRUPT_FILE', errorMessage: 'bad data', password: null });
    expect(job?.finishedAt).toBeInstanceOf(Date);
    expect([...(await jobs.storedPageNumbers(id))]).toEqual([1]);
    expect((await events(id)).map(([, type]) => type)).toEqual(['queued', 'started', 'page.completed', 'failed']);
    expect(await lifecycle.start(randomUUID())).toBeNull();
  });

  it('finishes SUCCEEDED with every page’s text, or FAILED with the code when every page failed', async () => {
    const ok = await create();
    await lifecycle.start(ok.id);
    await lifecycle.completePage(ok.id, text(1, 'one'));
    await lifecycle.completePage(ok.id, text(2, 'two'));
    await lifecycle.completePage(ok.id, text(2, 'two')); // a page stored twice counts once
    await lifecycle.finish(ok.id);
    expect(await jobs.findOwnedWithResult(ok.id, 'alice')).toMatchObject({ status: 'SUCCEEDED', pagesDone: 2, result: { text: 'one\n\ftwo' } });

    const bad = await create();
    await lifecycle.start(bad.id);
    await lifecycle.completePage(bad.id, failed(1, 'PAGE_TOO_LARGE'));
    await lifecycle.finish(bad.id);
    expect(await jobs.findOwned(bad.id, 'alice')).toMatchObject({ status: 'FAILED', errorCode: 'PAGE_TOO_LARGE' });
  });

  it("refuses a job past its owner's unfinished limit, even when uploads race, and counts only QUEUED and RUNNING", async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => create('racer', 3)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    await expect(create('racer', 3)).rejects.toThrow('refused');
    await expect(create('someone-else', 3)).resolves.toBeTruthy();

    const [first] = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    await lifecycle.fail(first.id, 'CORRUPT_FILE', 'finished now');
    await expect(create('racer', 3)).resolves.toBeTruthy();
  });

  it("keeps each owner's unfinished count (what the quota reads) through creation, start, finish, requeue and delete", async () => {
    const owner = `counted-${randomUUID()}`;
    const kept = async () =>
      (await env.sql<{ unfinished: number }>('SELECT unfinished FROM owner_unfinished_jobs WHERE owner_id = $1', [owner]))[0]?.unfinished;
    const counted = async () =>
      (await env.sql<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE owner_id = $1 AND status IN ('QUEUED', 'RUNNING')", [owner]))[0]!.n;

    const [a, b, c, d] = await Promise.all([create(owner, 10), create(owner, 10), create(owner, 10), create(owner, 10)]);
    expect([await kept(), await counted()]).toEqual([4, 4]);
    await lifecycle.start(a!.id);
    await lifecycle.fail(b!.id, 'CORRUPT_FILE', 'finished');
    await lifecycle.fail(b!.id, 'CORRUPT_FILE', 'finished twice: not applied');
    expect([await kept(), await counted()]).toEqual([3, 3]);
    await lifecycle.requeue(a!.id, new Date(Date.now() + 60_000));
    await jobs.delete(c!.id);
    await jobs.delete(b!.id);
    expect([await kept(), await counted()]).toEqual([2, 2]);
    await lifecycle.start(d!.id);
    await lifecycle.finish(d!.id);
    expect([await kept(), await counted()]).toEqual([1, 1]);
  });

  it('creates jobs that read back exactly as stored, each with its queued event, when uploads arrive together', async () => {
    const made = await Promise.all(Array.from({ length: 6 }, () => create(`batch-${randomUUID()}`)));
    for (const job of made) {
      expect(job).toEqual(await state.job(job.id));
      expect(job).toMatchObject({ status: 'QUEUED', eventSeq: 1, attempts: 0, options: { ocr: 'auto' }, password: 'secret' });
      expect(await events(job.id)).toEqual([[1, 'queued']]);
    }
  });

  it('keeps the unfinished limit exact when two API processes race for one owner', async () => {
    const second = new PrismaService(env.config());
    try {
      const replicas = [lifecycle, new JobLifecycle(new JobStateRepository(second), new JobEventBus(redis, env.config()))];
      const owner = `raced-${randomUUID()}`;
      const attempts = replicas.flatMap((replica) =>
        Array.from({ length: 10 }, () => {
          const id = randomUUID();
          const fields = { fileName: null, mediaType: 'image/png', sizeBytes: 1, originalKey: `jobs/${id}/original`, options: { ocr: 'auto' as const }, password: null };
          return replica.create({ id, ownerId: owner, ...fields }, 7);
        }),
      );
      const created = (await Promise.all(attempts)).filter((job) => job !== null);
      expect(created).toHaveLength(7);
      expect(await jobs.listOwned(owner, { limit: 100 })).toHaveLength(7);
    } finally {
      await second.$disconnect();
    }
  });

  it('refuses only the upload PostgreSQL cannot store, not the others sent with it', async () => {
    const owner = `nul-${randomUUID()}`;
    const upload = (password: string) => {
      const id = randomUUID();
      const fields = { fileName: 'a.pdf', mediaType: 'application/pdf', sizeBytes: 10, originalKey: `jobs/${id}/original`, options: { ocr: 'auto' as const } };
      return lifecycle.create({ id, ownerId: owner, ...fields, password });
    };
    const outcomes = await Promise.allSettled(['one', 'two', 'has\u0000nul', 'four'].map(upload));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await jobs.listOwned(owner, { limit: 100 })).toHaveLength(3);
  });

  it('wakes a follower in another process when an event is committed', async () => {
    const other = new RedisService(env.config());
    const bus = new JobEventBus(other, env.config());
    try {
      const { id } = await create();
      let woken = 0;
      const stop = await bus.follow(id, () => (woken += 1));
      await lifecycle.start(id);
      await expect.poll(() => woken).toBe(1);
      stop();
      await lifecycle.fail(id, 'INTERNAL', 'x');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(woken).toBe(1);
    } finally {
      bus.onApplicationShutdown();
      await other.onApplicationShutdown();
    }
  });

  it('scopes reads to the owner and pages newest first without gaps or repeats', async () => {
    const owner = `owner-${randomUUID()}`;
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await create(owner));
    await create('someone-else');
    expect(await jobs.findOwned(created[0]!.id, 'someone-else')).toBeNull();

    const seen: string[] = [];
    let after;
    for (;;) {
      const page = await jobs.listOwned(owner, { limit: 2, after });
      if (page.length === 0) break;
      seen.push(...page.map((j) => j.id));
      const last = page.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const expected = [...created].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b.id < a.id ? -1 : 1));
    expect(seen).toEqual(expected.map((j) => j.id));
  });
});
