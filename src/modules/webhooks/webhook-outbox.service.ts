import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { DEFAULT_WEBHOOK_EVENTS, type WebhookEvent } from '../../common/webhook-events.js';
import { JobLifecycle } from '../../jobs/job-lifecycle.js';
import { jobOptionsSchema } from '../../jobs/job-options.js';
import type { Job } from '../../jobs/jobs.repository.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { WEBHOOK_JOB_EVENTS, webhookBody, webhookEventName } from './webhook-payload.js';
import { WebhookProducer } from './webhook.producer.js';
import { WebhooksRepository, type NewDelivery } from './webhooks.repository.js';

/**
 * The webhook outbox: turns a job's committed events (`job_events`) into
 * delivery rows, one per (job, event, url) under a unique key, and queues
 * them. Pushed by the lifecycle's events in whichever process moved the job
 * (a worker, or the API for a cancel); whatever a crash or a Redis outage
 * leaves undone, the worker's {@link WebhookSweeper} does again, harmlessly.
 */
@Injectable()
export class WebhookOutbox implements OnModuleInit {
  private readonly logger = new Logger(WebhookOutbox.name);

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly producer: WebhookProducer,
    private readonly lifecycle: JobLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  onModuleInit(): void {
    if (!this.config.webhooks) return;
    // Listeners run inside the lifecycle's call: never throw into it, never make it wait.
    this.lifecycle.events.on('finished', ({ jobId }) => this.push(jobId));
    this.lifecycle.events.on('pageCompleted', (jobId) => this.push(jobId));
  }

  /**
   * Creates the deliveries the job's events call for that do not exist yet,
   * and queues those it created. Idempotent. Returns how many it created.
   */
  async sync(jobId: string): Promise<number> {
    const webhooks = this.config.webhooks;
    if (!webhooks) return 0;
    const found = await this.repository.undelivered(jobId, WEBHOOK_JOB_EVENTS);
    if (!found || found.events.length === 0) return 0;
    const targets = this.targets(found.job);
    const rows: NewDelivery[] = [];
    for (const event of found.events) {
      const name = webhookEventName(event.type)!;
      const payload = webhookBody(found.job, event);
      for (const target of targets) {
        if (!target.events.includes(name)) continue;
        rows.push({ id: randomUUID(), jobId, eventSeq: event.seq, eventType: name, url: target.url, target: target.target, payload });
      }
    }
    const created = await this.repository.create(rows);
    // Enqueued after the commit; should Redis fail here the sweep queues them later.
    await this.producer.enqueue(created);
    for (const row of created) this.metrics?.webhookCreated(row.eventType);
    return created.length;
  }

  private push(jobId: string): void {
    this.sync(jobId).catch((error: unknown) =>
      this.logger.warn({ err: error, jobId }, 'creating or queueing webhook deliveries failed; the sweep will retry'),
    );
  }

  /** Where the job's events go: its own callback first (so a URL given twice is checked as the user's), then the operator's. */
  private targets(job: Job): { url: string; target: 'CALLBACK' | 'GLOBAL'; events: readonly WebhookEvent[] }[] {
    const webhooks = this.config.webhooks!;
    const options = jobOptionsSchema.safeParse(job.options);
    const targets: { url: string; target: 'CALLBACK' | 'GLOBAL'; events: readonly WebhookEvent[] }[] = [];
    if (options.success && options.data.callbackUrl) {
      targets.push({ url: options.data.callbackUrl, target: 'CALLBACK', events: options.data.callbackEvents ?? DEFAULT_WEBHOOK_EVENTS });
    }
    if (webhooks.url) targets.push({ url: webhooks.url, target: 'GLOBAL', events: webhooks.events });
    return targets;
  }
}
