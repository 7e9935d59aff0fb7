import { Injectable } from '@nestjs/common';
import { Prisma, type Job, type JobEvent, type JobPage, type JobStatus } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import { JobEventType } from './job-event.js';
import type { JobArtifact, PageOutcome } from './job-result.js';
import type { NewJob } from './jobs.repository.js';
import { WriteBatcher } from './write-batcher.js';
import type { Extraction } from '../fields/extraction.js';

export type { JobEvent, JobPage };

/** The batch insert of uploads (see {@link JobStateRepository.createAll}), with the columns named as Prisma's `Job`. */
const CREATE_JOBS = `
  SELECT id::text, owner_id AS "ownerId", status::text, file_name AS "fileName", media_type AS "mediaType",
    size_bytes AS "sizeBytes", original_key AS "originalKey", options, password, attempts,
    pages_total AS "pagesTotal", pages_done AS "pagesDone", pages_failed AS "pagesFailed", event_seq AS "eventSeq",
    error_code AS "errorCode", error_message AS "errorMessage", created_at AS "createdAt",
    started_at AS "startedAt", finished_at AS "finishedAt", updated_at AS "updatedAt"
  FROM ocrflow_create_jobs($1::jsonb, $2::int)`;

/** A conditional move of a job's status, with the event it emits. */
export interface Transition {
  /** The statuses the move starts from; any other and nothing happens. */
  from: JobStatus[];
  /** Further conditions, e.g. a lease cut-off. */
  where?: Prisma.JobWhereInput;
  data: Prisma.JobUpdateManyMutationInput;
  event: { type: JobEventType; data?: Prisma.InputJsonObject };
  /** Result text, and fields when the job named a schema, to store in the same transaction. */
  result?: { text: string; fields?: Extraction; artifacts?: JobArtifact[] };
}

/**
 * The writes behind {@link JobLifecycle}: each is one transaction that
 * changes the job only from the status it expects, bumps its event sequence
 * and appends the event, so events are gap-free and in commit order.
 */
@Injectable()
export class JobStateRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Uploads arriving together share one statement and one commit: see {@link WriteBatcher}. */
  private readonly creates = new WriteBatcher<{ job: NewJob; maxUnfinished: number }, Job | null>((items) => this.createAll(items));

  /**
   * Inserts a `QUEUED` job with its first event, unless its owner already has
   * `maxUnfinished` jobs queued or running (0: no limit); null then.
   */
  create(job: NewJob, maxUnfinished = 0): Promise<Job | null> {
    return this.creates.submit({ job, maxUnfinished });
  }

  /**
   * One round trip inserts a batch of jobs and their `queued` events (one
   * commit, one WAL flush for the lot, where an interactive transaction per
   * upload took six round trips): the SQL function `ocrflow_create_jobs`
   * (migrations 20261129151000 and 20261129190000). With a limit it first
   * takes each owner's advisory lock, the same key as before, in key order so
   * that two batches cannot deadlock; it then reads the owner's unfinished
   * count, which triggers on `jobs` keep in `owner_unfinished_jobs` (counting
   * the owner's rows cost up to 1.4 ms a batch under a high limit), and admits
   * an owner's uploads in arrival order while they fit.
   *
   * It goes straight to the pool under Prisma: through `$queryRaw` the same
   * statement cost 438 µs of CPU per batch of 2 against 246 µs (923 against
   * 484 for 10), Prisma's request pipeline and result mapping being the
   * difference. pg's own parsing gives the same row: Dates for timestamptz,
   * objects for jsonb, numbers for int4.
   */
  private async createAll(items: { job: NewJob; maxUnfinished: number }[]): Promise<(Job | null)[]> {
    // The process has one limit; should two differ, the smaller holds for the batch.
    const limits = items.map((item) => item.maxUnfinished).filter((limit) => limit > 0);
    const limit = limits.length > 0 ? Math.min(...limits) : 0;
    const batch = JSON.stringify(items.map(({ job }, ord) => ({ ord, ...job })));
    const { rows: created } = await this.prisma.pool.query<Job>(CREATE_JOBS, [batch, limit]);
    const byId = new Map(created.map((job) => [job.id, job]));
    return items.map(({ job }) => byId.get(job.id) ?? null);
  }

  /** Applies the transition; null when the job was not in a `from` status (or is gone). */
  transition(id: string, t: Transition): Promise<JobEvent | null> {
    return this.prisma.$transaction(async (tx) => {
      const [job] = await tx.job.updateManyAndReturn({
        where: { ...t.where, id, status: { in: t.from } },
        data: { ...t.data, eventSeq: { increment: 1 } },
        select: { eventSeq: true },
      });
      if (!job) return null;
      if (t.result) {
        const { text, fields, artifacts } = t.result;
        const result = { text, fields: toJson(fields), artifacts: artifacts ? (artifacts as unknown as Prisma.InputJsonArray) : Prisma.DbNull };
        await tx.jobResult.upsert({ where: { jobId: id }, create: { jobId: id, ...result }, update: result });
      }
      return tx.jobEvent.create({ data: { jobId: id, seq: job.eventSeq, type: t.event.type, data: t.event.data ?? {} } });
    });
  }

  /**
   * `FAILED | PARTIAL → QUEUED` for another run from the job's checkpoints:
   * its failed pages and its result are deleted (succeeded pages stay, so the
   * worker skips them), attempts, timings and error are reset, and `password`
   * is stored as at upload. With a limit, the owner's unfinished jobs are
   * counted under the advisory lock uploads take (`ocrflow_create_jobs`), so a
   * retry and an upload cannot both take the last place. Returns the `queued`
   * event, `'status'` when the job is not FAILED or PARTIAL (or gone),
   * `'quota'` when its owner has `maxUnfinished` jobs queued or running.
   */
  retry(id: string, { password, maxUnfinished }: { password: string | null; maxUnfinished: number }): Promise<JobEvent | 'status' | 'quota'> {
    const retryable: JobStatus[] = ['FAILED', 'PARTIAL'];
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.job.findUnique({ where: { id }, select: { ownerId: true, status: true } });
      if (!current || !retryable.includes(current.status)) return 'status';
      if (maxUnfinished > 0) {
        await tx.$queryRaw`SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(${current.ownerId}))) AS locked`;
        const count = await tx.ownerUnfinishedJobs.findUnique({ where: { ownerId: current.ownerId } });
        if ((count?.unfinished ?? 0) >= maxUnfinished) return 'quota';
      }
      const [job] = await tx.job.updateManyAndReturn({
        where: { id, status: { in: retryable } },
        data: {
          status: 'QUEUED',
          attempts: 0,
          startedAt: null,
          finishedAt: null,
          errorCode: null,
          errorMessage: null,
          pagesFailed: 0,
          password,
          eventSeq: { increment: 1 },
        },
        select: { eventSeq: true },
      });
      if (!job) return 'status';
      await tx.jobPage.deleteMany({ where: { jobId: id, status: 'FAILED' } });
      await tx.jobResult.deleteMany({ where: { jobId: id } });
      return tx.jobEvent.create({ data: { jobId: id, seq: job.eventSeq, type: JobEventType.QUEUED, data: { reason: 'retry' } } });
    });
  }

  /**
   * Checkpoints one page of a running job and counts progress; null when the
   * job is no longer running (cancelled, failed by the reconciler), in which
   * case the page is not stored.
   */
  recordPage(id: string, page: PageOutcome): Promise<JobEvent | null> {
    return this.prisma.$transaction(async (tx) => {
      const [job] = await tx.job.updateManyAndReturn({
        where: { id, status: 'RUNNING' },
        data: { eventSeq: { increment: 1 } },
        select: { eventSeq: true, pagesTotal: true },
      });
      if (!job) return null;
      const row = pageRow(page);
      await tx.jobPage.upsert({ where: { jobId_number: { jobId: id, number: page.number } }, create: { jobId: id, ...row }, update: row });
      const done = await tx.jobPage.count({ where: { jobId: id, status: 'SUCCEEDED' } });
      const failed = await tx.jobPage.count({ where: { jobId: id, status: 'FAILED' } });
      await tx.job.update({ where: { id }, data: { pagesDone: done, pagesFailed: failed } });
      const data = {
        page: page.number,
        status: page.status,
        ...(page.status === 'SUCCEEDED' ? { source: page.source, rotation: page.rotation } : { error: page.error }),
        done,
        failed,
        total: job.pagesTotal,
      };
      return tx.jobEvent.create({ data: { jobId: id, seq: job.eventSeq, type: JobEventType.PAGE_COMPLETED, data } });
    });
  }

  async renew(id: string, attempt: number): Promise<boolean> {
    const { count } = await this.prisma.job.updateMany({ where: { id, status: 'RUNNING', attempts: attempt }, data: { updatedAt: new Date() } });
    return count === 1;
  }

  job(id: string) {
    return this.prisma.job.findUnique({ where: { id } });
  }

  /** Only while running: the count belongs to the attempt that opened the document. */
  async setPagesTotal(id: string, pagesTotal: number): Promise<boolean> {
    const { count } = await this.prisma.job.updateMany({ where: { id, status: 'RUNNING' }, data: { pagesTotal } });
    return count === 1;
  }

  /** Numbers of the pages already stored: a redelivered job skips them. */
  pages(id: string): Promise<JobPage[]> {
    return this.prisma.jobPage.findMany({ where: { jobId: id }, orderBy: { number: 'asc' } });
  }

  /** Replaces a finished job's fields (re-extraction). */
  async storeFields(id: string, fields: Extraction): Promise<void> {
    await this.prisma.jobResult.updateMany({ where: { jobId: id }, data: { fields: toJson(fields) } });
  }
}

function pageRow(page: PageOutcome) {
  const common = { number: page.number, status: page.status, timings: page.timings };
  return page.status === 'SUCCEEDED'
    ? { ...common, source: page.source, rotation: page.rotation, result: page.result as unknown as Prisma.InputJsonObject, errorCode: null, errorMessage: null }
    : { ...common, source: null, rotation: 0, result: Prisma.DbNull, errorCode: page.error.code, errorMessage: page.error.message };
}

function toJson(fields: Extraction | undefined) {
  return fields ? (fields as unknown as Prisma.InputJsonObject) : Prisma.DbNull;
}
