import { Injectable } from '@nestjs/common';
import type { Prisma, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookTarget } from '../../generated/prisma/client.js';
import { PrismaService } from '../../infra/prisma/prisma.service.js';
import type { JobEvent } from '../../jobs/job-state.repository.js';
import type { Job } from '../../jobs/jobs.repository.js';
import type { AttemptOutcome } from './webhook-sender.js';

export type { WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookTarget };
export type DeliveryWithAttempts = WebhookDelivery & { attemptRows: WebhookAttempt[] };

/** A delivery row to create: unique per (job, event seq, url). */
export type NewDelivery = Pick<WebhookDelivery, 'id' | 'jobId' | 'eventSeq' | 'eventType' | 'url' | 'target' | 'payload'>;

/** Attempts listed per delivery: the newest, enough to see a pattern. */
const LISTED_ATTEMPTS = 50;

/** Every query on the webhook outbox (`webhook_deliveries`, `webhook_attempts`). */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly prisma: PrismaService) {}

  job(id: string): Promise<Job | null> {
    return this.prisma.job.findUnique({ where: { id } });
  }

  /**
   * A job and its events of `types` after the newest event it has a delivery
   * for. Events commit in `seq` order (each locks the job row), so everything
   * up to that seq has its deliveries: they are created per event in one statement.
   */
  async undelivered(jobId: string, types: string[]): Promise<{ job: Job; events: JobEvent[] } | null> {
    const job = await this.job(jobId);
    if (!job) return null;
    const newest = await this.prisma.webhookDelivery.aggregate({ where: { jobId }, _max: { eventSeq: true } });
    const events = await this.prisma.jobEvent.findMany({
      where: { jobId, seq: { gt: newest._max.eventSeq ?? 0 }, type: { in: types } },
      orderBy: { seq: 'asc' },
    });
    return { job, events };
  }

  /** Inserts the deliveries not there yet (one statement); returns those it created. */
  create(rows: NewDelivery[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.prisma.webhookDelivery.createManyAndReturn({ data: rows, skipDuplicates: true });
  }

  find(id: string): Promise<WebhookDelivery | null> {
    return this.prisma.webhookDelivery.findUnique({ where: { id } });
  }

  /**
   * Records an attempt of `sequence` and, when it ends the sequence, the
   * delivery's new status; a delivery redelivered meanwhile (a newer
   * sequence) keeps its status. Returns the attempt's number.
   */
  recordAttempt(delivery: WebhookDelivery, sequence: number, outcome: AttemptOutcome, status?: WebhookDeliveryStatus): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const { attempts } = await tx.webhookDelivery.update({ where: { id: delivery.id }, data: { attempts: { increment: 1 } }, select: { attempts: true } });
      if (status) {
        await tx.webhookDelivery.updateMany({
          where: { id: delivery.id, sequence, status: 'PENDING' },
          data: { status, ...(status === 'DELIVERED' && { deliveredAt: new Date() }) },
        });
      }
      await tx.webhookAttempt.create({
        data: {
          deliveryId: delivery.id,
          number: attempts,
          sequence,
          statusCode: outcome.statusCode ?? null,
          error: outcome.error ?? null,
          durationMs: outcome.durationMs,
          responseBody: outcome.responseBody ?? null,
        },
      });
      return attempts;
    });
  }

  /** Starts a new delivery sequence of a job's delivery; null when there is no such delivery. */
  async redeliver(jobId: string, id: string): Promise<WebhookDelivery | null> {
    const [row] = await this.prisma.webhookDelivery.updateManyAndReturn({
      where: { id, jobId },
      data: { sequence: { increment: 1 }, status: 'PENDING', deliveredAt: null },
    });
    return row ?? null;
  }

  /** A job's deliveries in event order, each with its newest attempts. */
  async list(jobId: string, opts: { limit: number; after?: { eventSeq: number; id: string } }): Promise<DeliveryWithAttempts[]> {
    const { after } = opts;
    const rows = await this.prisma.webhookDelivery.findMany({
      where: {
        jobId,
        ...(after && { OR: [{ eventSeq: { gt: after.eventSeq } }, { eventSeq: after.eventSeq, id: { gt: after.id } }] }),
      },
      orderBy: [{ eventSeq: 'asc' }, { id: 'asc' }],
      take: opts.limit,
      include: { attemptRows: { orderBy: { number: 'desc' }, take: LISTED_ATTEMPTS } },
    });
    return rows.map((row) => ({ ...row, attemptRows: row.attemptRows.reverse() }));
  }

  /**
   * Jobs that finished between `since` and `before` and whose final event has
   * no delivery although one is due: to `WEBHOOK_URL` when it takes that
   * event, or to the job's `callbackUrl` when it asked for it (the default
   * events are the final ones). What a worker that died between finishing a
   * job and creating its deliveries leaves behind.
   */
  async finishedWithoutDelivery(opts: { since: Date; before: Date; globalStatuses: string[]; limit: number }): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT j.id::text AS id FROM jobs j
      WHERE j.finished_at >= ${opts.since} AND j.finished_at < ${opts.before}
        AND (lower(j.status::text) = ANY(${opts.globalStatuses}::text[])
          OR (j.options ? 'callbackUrl'
            AND (NOT j.options ? 'callbackEvents' OR j.options->'callbackEvents' ? ('job.' || lower(j.status::text)))))
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.job_id = j.id AND d.event_seq = j.event_seq)
      ORDER BY j.finished_at
      LIMIT ${opts.limit}`;
    return rows.map((row) => row.id);
  }

  /** Pending deliveries untouched since `before`, oldest first: the sweep checks they are queued. */
  stalePending(before: Date, limit: number): Promise<WebhookDelivery[]> {
    const where: Prisma.WebhookDeliveryWhereInput = { status: 'PENDING', updatedAt: { lt: before } };
    return this.prisma.webhookDelivery.findMany({ where, orderBy: { updatedAt: 'asc' }, take: limit });
  }
}
