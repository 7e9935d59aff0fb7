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

/** Jobs whose page-event decision is kept: far more than a worker runs at once. */
const PAGE_EVENTS_REMEMBERED = 1_000;

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

  /**
   * Per job running here: whether any of its targets wants `job.page_completed`,
   * read with the job on its first page. Most jobs want only their end, and
   * without this every page re-read the job and its events so far.
   */
  private readonly pageEvents = new Map<string, Promise<boolean>>();

  onModuleInit(): void {
    if (!this.config.webhooks) return;
    // Listeners run inside the lifecycle's call: never throw into it, never make it wait.
    this.lifecycle.events.on('finished', ({ jobId }) => {
      this.pageEvents.delete(jobId);
      this.push(jobId);
    });
    this.lifecycle.events.on('pageCompleted', (jobId) => void this.pushPage(jobId));
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

  private async pushPage(jobId: string): Promise<void> {
    let wanted = this.pageEvents.get(jobId);
    if (!wanted) {
      // Jobs that end elsewhere (a cancel in the API) leave an entry: keep the oldest out.
      if (this.pageEvents.size >= PAGE_EVENTS_REMEMBERED) this.pageEvents.delete(this.pageEvents.keys().next().value!);
      wanted = this.repository
        .job(jobId)
        .then((job) => job !== null && this.targets(job).some((target) => target.events.includes('job.page_completed')))
        .catch(() => true); // unknown: the sync decides, and logs its own failure
      this.pageEvents.set(jobId, wanted);
    }
    if (await wanted) this.push(jobId);
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
