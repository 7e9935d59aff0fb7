import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { ErrorCode } from '../../common/app-error.js';
import { Periodic } from '../../common/periodic.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { JobLifecycle } from '../../jobs/job-lifecycle.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { OcrJobProducer } from '../../jobs/ocr-job.producer.js';

/** Rows looked at per sweep and state; the next sweep takes the rest. */
const BATCH = 500;

/**
 * The queued jobs' sweep costs a Redis look-up per job older than the grace
 * period, and a backlog is all such jobs: it runs this often, or at once when
 * Redis lost the queue. Running jobs are swept on every tick: the database
 * alone finds a lapsed lease, by index.
 */
const QUEUED_SWEEP_MS = 60_000;

/** Which queued jobs a sweep looks at: those older than the grace period, every one, or none. */
type QueuedSweep = 'stale' | 'all' | 'none';

export interface ReconcileReport {
  requeued: number;
  retried: number;
  failed: number;
}

/**
 * Keeps the database and the queue in step, so no job stays unfinished
 * forever. Redis may lose everything (restart, flush, failover), and a worker
 * may die mid-job; the database row says what should happen. Runs in every
 * worker at start-up and then every `RECONCILE_INTERVAL_MS`; each step is
 * idempotent, so several workers sweeping at once do no harm.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  private readonly sweeps = new Periodic(
    () => this.tick(),
    (error) => this.logger.warn(`reconcile failed: ${error.message}`),
  );
  private lastQueuedSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly lifecycle: JobLifecycle,
    private readonly producer: OcrJobProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start(this.config.reconcile.intervalMs);
  }

  /**
   * Before any module's `onApplicationShutdown`, where Prisma disconnects: a
   * sweep must not query the database while it closes (Prisma would open a
   * new connection for it that nothing closes).
   */
  beforeApplicationShutdown(): Promise<void> {
    return this.sweeps.stop();
  }

  /**
   * One timer tick: running jobs always; queued ones every minute, and every
   * one of them, fresh uploads too, as soon as Redis is found to have lost the
   * queue (an upload still on its way in adds the same entry, a no-op).
   */
  async tick(now = Date.now()): Promise<ReconcileReport> {
    const lost = await this.producer.queueLost();
    const queued: QueuedSweep = lost ? 'all' : now - this.lastQueuedSweep >= QUEUED_SWEEP_MS ? 'stale' : 'none';
    if (queued !== 'none') this.lastQueuedSweep = now;
    const report = await this.reconcile(now, queued);
    // A Redis met for the first time has no marker either; only jobs put back tell of a loss.
    if (lost && report.requeued > 0) {
      this.logger.warn({ requeued: report.requeued }, 'Redis had lost queued jobs (a restart without persistence, a flush or a failover); they are back in the queue');
    }
    return report;
  }

  /** One sweep. Exposed for tests and operators. */
  async reconcile(now = Date.now(), queued: QueuedSweep = 'stale'): Promise<ReconcileReport> {
    const report: ReconcileReport = { requeued: 0, retried: 0, failed: 0 };
    const { graceMs, leaseMs } = this.config.reconcile;

    // Queued in the database but not in Redis: enqueue again (the job id makes it harmless).
    if (queued !== 'none') {
      for (const job of await this.jobs.findStale('QUEUED', new Date(now - (queued === 'all' ? 0 : graceMs)), BATCH)) {
        if (await this.producer.ensureQueued(job.id)) report.requeued += 1;
      }
    }

    // Running with a lapsed lease and no live queue entry: its worker is gone. Retry while attempts remain.
    const leaseCutoff = new Date(now - leaseMs);
    for (const job of await this.jobs.findStale('RUNNING', leaseCutoff, BATCH)) {
      if (await this.producer.isInFlight(job.id)) continue;
      if (job.attempts >= this.config.queue.attempts) {
        await this.lifecycle.fail(job.id, ErrorCode.INTERNAL, 'The worker processing this job was lost', ['RUNNING']);
        report.failed += 1;
      } else if (await this.lifecycle.requeue(job.id, leaseCutoff)) {
        await this.producer.ensureQueued(job.id);
        report.retried += 1;
      }
    }

    if (report.requeued + report.retried + report.failed > 0) {
      this.logger.log({ ...report }, 'reconciled jobs the queue had lost');
    }
    return report;
  }
}
