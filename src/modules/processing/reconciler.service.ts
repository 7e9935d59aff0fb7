import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { ErrorCode } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { JobLifecycle } from '../../jobs/job-lifecycle.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { OcrJobProducer } from '../../jobs/ocr-job.producer.js';

/** Rows looked at per sweep and state; the next sweep takes the rest. */
const BATCH = 500;

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
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly lifecycle: JobLifecycle,
    private readonly producer: OcrJobProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const sweep = () => {
      this.running ??= this.reconcile()
        .catch((error: Error) => this.logger.warn(`reconcile failed: ${error.message}`))
        .finally(() => (this.running = undefined));
    };
    sweep();
    this.timer = setInterval(sweep, this.config.reconcile.intervalMs).unref();
  }

  /**
   * Before any module's `onApplicationShutdown`, where Prisma disconnects: a
   * sweep must not query the database while it closes (Prisma would open a
   * new connection for it that nothing closes).
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep. Exposed for tests and operators. */
  async reconcile(now = Date.now()): Promise<ReconcileReport> {
    const report: ReconcileReport = { requeued: 0, retried: 0, failed: 0 };
    const { graceMs, leaseMs } = this.config.reconcile;

    // Queued in the database but not in Redis: enqueue again (the job id makes it harmless).
    for (const job of await this.jobs.findStale('QUEUED', new Date(now - graceMs), BATCH)) {
      if (await this.producer.ensureQueued(job.id)) report.requeued += 1;
    }

    // Running with no live queue entry: its worker is gone. Retry while attempts remain.
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
