import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Periodic } from '../../common/periodic.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { WebhookOutbox } from './webhook-outbox.service.js';
import { WebhookProducer } from './webhook.producer.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** Rows looked at per sweep and kind; the next sweep takes the rest. */
const BATCH = 500;

/** How far back the sweep looks for finished jobs without deliveries: a worker fleet down longer than this loses them. */
const LOOKBACK_MS = 7 * 24 * 3600_000;

export interface SweepReport {
  /** Deliveries created for final events that had none (the push was lost). */
  created: number;
  /** Pending deliveries queued again (Redis forgot them). */
  requeued: number;
}

/**
 * The outbox's safety net, in every worker like the job reconciler: at
 * start-up and every `RECONCILE_INTERVAL_MS`, it creates the deliveries of
 * jobs that finished at least `RECONCILE_GRACE_MS` ago without them, and
 * queues pending deliveries that have no live queue entry. Every step is
 * idempotent (unique deliveries, deterministic queue ids), so several workers
 * sweeping at once do no harm.
 */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookSweeper.name);
  private readonly sweeps = new Periodic(
    () => this.sweep(),
    (error) => this.logger.warn({ err: error }, 'webhook sweep failed'),
  );
  /**
   * Jobs finished before this were all looked at. The first sweep looks back
   * {@link LOOKBACK_MS}; later ones only at what finished since (with a grace
   * period's overlap), so a sweep every few seconds reads a few rows, not a week's.
   */
  private sweptUntil?: Date;

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly outbox: WebhookOutbox,
    private readonly producer: WebhookProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeps.start(this.config.reconcile.intervalMs);
  }

  /** Before Prisma disconnects, as the reconciler does. */
  beforeApplicationShutdown(): Promise<void> {
    return this.sweeps.stop();
  }

  async sweep(now = Date.now()): Promise<SweepReport> {
    const report: SweepReport = { created: 0, requeued: 0 };
    const before = new Date(now - this.config.reconcile.graceMs);
    const globalStatuses = this.config.webhooks?.url ? this.config.webhooks.events.map((event) => event.replace(/^job\./, '')) : [];
    const since = this.sweptUntil ? new Date(this.sweptUntil.getTime() - this.config.reconcile.graceMs) : new Date(now - LOOKBACK_MS);
    const jobs = await this.repository.finishedWithoutDelivery({ since, before, globalStatuses, limit: BATCH });
    for (const jobId of jobs) report.created += await this.outbox.sync(jobId);
    // A full batch may have left some: the next sweep starts from the same point.
    if (jobs.length < BATCH) this.sweptUntil = before;
    for (const delivery of await this.repository.stalePending(before, BATCH)) {
      if (await this.producer.ensureQueued(delivery)) report.requeued += 1;
    }
    if (report.created + report.requeued > 0) {
      this.metrics?.webhookSwept(report);
      this.logger.log({ ...report }, 'webhook outbox: caught up on deliveries a crash or Redis had lost');
    }
    return report;
  }
}
