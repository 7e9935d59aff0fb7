import { Injectable } from '@nestjs/common';
import type { Job, JobResult, JobStatus } from '../../generated/prisma/client.js';
import { PrismaService } from '../../infra/prisma/prisma.service.js';
import type { PageResult } from './job-result.js';

export type { Job, JobResult, JobStatus };

export interface NewJob {
  id: string;
  ownerId: string;
  fileName: string | null;
  mediaType: string;
  sizeBytes: number;
  originalKey: string;
}

/** Position in the newest-first listing: the last row of the previous page. */
export interface ListCursor {
  createdAt: Date;
  id: string;
}

const ACTIVE: JobStatus[] = ['QUEUED', 'RUNNING'];

/** Every query on jobs and their results. Services never touch Prisma directly. */
@Injectable()
export class JobsRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(job: NewJob): Promise<Job> {
    return this.prisma.job.create({ data: job });
  }

  /** A job the owner may see; another owner's job is indistinguishable from none. */
  findOwned(id: string, ownerId: string): Promise<Job | null> {
    return this.prisma.job.findFirst({ where: { id, ownerId } });
  }

  findOwnedWithResult(id: string, ownerId: string) {
    return this.prisma.job.findFirst({ where: { id, ownerId }, include: { result: true } });
  }

  listOwned(ownerId: string, opts: { limit: number; status?: JobStatus; after?: ListCursor }) {
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

  delete(id: string): Promise<unknown> {
    return this.prisma.job.deleteMany({ where: { id } });
  }

  findById(id: string): Promise<Job | null> {
    return this.prisma.job.findUnique({ where: { id } });
  }

  /**
   * Marks a queued (or interrupted running) job as running and counts the
   * attempt. Returns false when the job is gone or already terminal, so a
   * redelivered queue entry does no work twice.
   */
  async claim(id: string): Promise<boolean> {
    const now = new Date();
    const { count } = await this.prisma.job.updateMany({
      where: { id, status: { in: ACTIVE } },
      data: { status: 'RUNNING', attempts: { increment: 1 }, startedAt: now },
    });
    return count === 1;
  }

  /** Stores the result and finishes the job in one transaction; re-running overwrites. */
  async succeed(id: string, result: { text: string; pages: PageResult[] }): Promise<void> {
    const pages = result.pages as unknown as object[];
    await this.prisma.$transaction([
      this.prisma.jobResult.upsert({
        where: { jobId: id },
        create: { jobId: id, text: result.text, pages },
        update: { text: result.text, pages },
      }),
      this.prisma.job.updateMany({
        where: { id, status: 'RUNNING' },
        data: { status: 'SUCCEEDED', finishedAt: new Date(), errorCode: null, errorMessage: null },
      }),
    ]);
  }

  async fail(id: string, code: string, message: string): Promise<void> {
    await this.prisma.job.updateMany({
      where: { id, status: { in: ACTIVE } },
      data: { status: 'FAILED', finishedAt: new Date(), errorCode: code, errorMessage: message },
    });
  }

  /** Jobs in `status` untouched since `before`, oldest first: candidates for the reconciler. */
  findStale(status: 'QUEUED' | 'RUNNING', before: Date, limit: number): Promise<Job[]> {
    return this.prisma.job.findMany({
      where: { status, updatedAt: { lt: before } },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
  }

  /** Puts a running job whose worker was lost back in the queue state, unless it moved on meanwhile. */
  async requeue(id: string, before: Date): Promise<boolean> {
    const { count } = await this.prisma.job.updateMany({
      where: { id, status: 'RUNNING', updatedAt: { lt: before } },
      data: { status: 'QUEUED' },
    });
    return count === 1;
  }
}
