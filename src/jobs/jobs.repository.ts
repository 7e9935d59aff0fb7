import { Injectable } from '@nestjs/common';
import type { Job, JobEvent, JobResult, JobStatus } from '../generated/prisma/client.js';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import type { StoredJobOptions } from './job-options.js';

export type { Job, JobResult, JobStatus };
export type JobWithResult = NonNullable<Awaited<ReturnType<JobsRepository['findOwnedWithResult']>>>;

export interface NewJob {
  id: string;
  ownerId: string;
  fileName: string | null;
  mediaType: string;
  sizeBytes: number;
  originalKey: string;
  options: StoredJobOptions;
  password: string | null;
}

/** Position in the newest-first listing: the last row of the previous page. */
export interface ListCursor {
  createdAt: Date;
  id: string;
}

/** Every query on jobs and their results. Services never touch Prisma directly. */
@Injectable()
export class JobsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * A job the owner may see; another owner's job is indistinguishable from none.
   * `ownerId` undefined (an admin) sees every owner's; the same holds below.
   */
  findOwned(id: string, ownerId: string | undefined): Promise<Job | null> {
    return this.prisma.job.findFirst({ where: { id, ownerId } });
  }

  findOwnedWithResult(id: string, ownerId: string | undefined) {
    return this.prisma.job.findFirst({
      where: { id, ownerId },
      include: { result: true, pages: { orderBy: { number: 'asc' } } },
    });
  }

  /** A job the owner may see, with the record of its artifacts (not its pages). */
  findOwnedWithArtifacts(id: string, ownerId: string | undefined) {
    return this.prisma.job.findFirst({ where: { id, ownerId }, include: { result: { select: { artifacts: true } } } });
  }

  listOwned(ownerId: string | undefined, opts: { limit: number; status?: JobStatus; after?: ListCursor }) {
    const { after } = opts;
    return this.prisma.job.findMany({
      where: {
        ownerId,
        status: opts.status,
        ...(after && {
          OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
        }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: opts.limit,
    });
  }

  /** Deletes the row; pages, result, events and idempotency keys cascade. True when there was one. */
  async delete(id: string): Promise<boolean> {
    const { count } = await this.prisma.job.deleteMany({ where: { id } });
    return count === 1;
  }

  /** Jobs in `status` untouched since `before`, oldest first: candidates for the reconciler. */
  findStale(status: 'QUEUED' | 'RUNNING', before: Date, limit: number): Promise<Job[]> {
    return this.prisma.job.findMany({
      where: { status, updatedAt: { lt: before } },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
  }

  /** Jobs that finished before `before`, oldest first: what the retention purge deletes. */
  findFinishedBefore(before: Date, limit: number): Promise<Pick<Job, 'id' | 'status' | 'originalKey'>[]> {
    return this.prisma.job.findMany({
      where: { finishedAt: { lt: before }, status: { notIn: ['QUEUED', 'RUNNING'] } },
      orderBy: { finishedAt: 'asc' },
      take: limit,
      select: { id: true, status: true, originalKey: true },
    });
  }

  /** How many jobs are in each status, every owner's. */
  async countByStatus(): Promise<Record<string, number>> {
    const groups = await this.prisma.job.groupBy({ by: ['status'], _count: { _all: true } });
    return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
  }

  /** The numbers of the pages a job has stored: a redelivered job skips them. */
  async storedPageNumbers(id: string): Promise<Set<number>> {
    const rows = await this.prisma.jobPage.findMany({ where: { jobId: id }, select: { number: true } });
    return new Set(rows.map((row) => row.number));
  }

  /** The job's events after `seq`, oldest first. */
  /**
   * A job's status and the sequence number of its last event, read together:
   * the row holds both and each transition changes them in one transaction.
   */
  progress(id: string): Promise<{ status: JobStatus; eventSeq: number } | null> {
    return this.prisma.job.findUnique({ where: { id }, select: { status: true, eventSeq: true } });
  }

  eventsAfter(id: string, seq: number, limit: number): Promise<JobEvent[]> {
    return this.prisma.jobEvent.findMany({ where: { jobId: id, seq: { gt: seq } }, orderBy: { seq: 'asc' }, take: limit });
  }
}
