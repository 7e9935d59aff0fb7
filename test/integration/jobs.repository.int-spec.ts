import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/infra/prisma/prisma.service.js';
import { JobsRepository } from '../../src/modules/documents/jobs.repository.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';

describe('JobsRepository on PostgreSQL', () => {
  let env: TestEnv;
  let prisma: PrismaService;
  let jobs: JobsRepository;

  beforeAll(async () => {
    env = await createTestEnv('int_jobs_repo');
    prisma = new PrismaService(env.config());
    jobs = new JobsRepository(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await env?.cleanup();
  });

  const newJob = (ownerId: string) => {
    const id = randomUUID();
    return { id, ownerId, fileName: 'a.png', mediaType: 'image/png', sizeBytes: 10, originalKey: `jobs/${id}/original` };
  };

  it('claims a queued job once per delivery and never a finished one', async () => {
    const job = await jobs.create(newJob('alice'));
    expect(await jobs.claim(job.id)).toBe(true);
    // A redelivery after a crash finds it RUNNING and may run it again.
    expect(await jobs.claim(job.id)).toBe(true);
    expect((await jobs.findById(job.id))?.attempts).toBe(2);

    const pages = [{ number: 1, width: 10, height: 10, text: 'hi', confidence: 90, lines: [] }];
    await jobs.succeed(job.id, { text: 'hi', pages });
    await jobs.succeed(job.id, { text: 'hi', pages }); // an upsert: running twice is harmless
    expect(await jobs.claim(job.id)).toBe(false);
    const done = await jobs.findOwnedWithResult(job.id, 'alice');
    expect(done?.status).toBe('SUCCEEDED');
    expect(done?.result?.text).toBe('hi');
    expect(await jobs.claim(randomUUID())).toBe(false);
  });

  it('records failures with their code and does not reopen them', async () => {
    const job = await jobs.create(newJob('alice'));
    await jobs.claim(job.id);
    await jobs.fail(job.id, 'CORRUPT_FILE', 'bad data');
    const failed = await jobs.findById(job.id);
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'CORRUPT_FILE', errorMessage: 'bad data' });
    expect(failed?.finishedAt).toBeInstanceOf(Date);
    expect(await jobs.claim(job.id)).toBe(false);
  });

  it('scopes reads to the owner and pages newest first without gaps or repeats', async () => {
    const owner = `owner-${randomUUID()}`;
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await jobs.create(newJob(owner)));
    await jobs.create(newJob('someone-else'));
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
    const expected = [...created].sort((a, b) =>
      b.createdAt.getTime() - a.createdAt.getTime() || (b.id < a.id ? -1 : 1),
    );
    expect(seen).toEqual(expected.map((j) => j.id));
  });
});
