import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { withTimeout } from '../../common/with-timeout.js';
import { IN_FLIGHT } from '../../jobs/ocr-job.producer.js';
import { JobName, jobOptions, QueueName, webhookQueueJobId, type WebhookJobPayload } from '../../jobs/queue-contract.js';

/** How long the push path waits for Redis; the sweep enqueues what it could not. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/** Puts delivery sequences on the `webhook` queue, one entry per (delivery, sequence). */
@Injectable()
export class WebhookProducer {
  private readonly logger = new Logger(WebhookProducer.name);

  constructor(
    @InjectQueue(QueueName.WEBHOOK) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    queue.on('error', (error) => this.logger.warn(`webhook queue connection: ${error.message}`));
  }

  /** Safe to call twice: the job id is derived from the delivery and its sequence. */
  async enqueue(deliveries: { id: string; sequence: number }[]): Promise<void> {
    if (deliveries.length === 0) return;
    const adding = this.queue.addBulk(
      deliveries.map(({ id, sequence }) => ({
        name: JobName.WEBHOOK_DELIVERY,
        data: { v: 1, deliveryId: id, sequence } satisfies WebhookJobPayload,
        opts: { ...jobOptions(JobName.WEBHOOK_DELIVERY, this.config), jobId: webhookQueueJobId(id, sequence) },
      })),
    );
    await withTimeout(adding, ENQUEUE_TIMEOUT_MS, () => {
      throw new Error('enqueue timed out');
    });
  }

  /**
   * Makes sure a pending delivery has a live queue entry (Redis flushed, or a
   * worker died mid-attempt until BullMQ gave up on it). True when it enqueued.
   */
  async ensureQueued(delivery: { id: string; sequence: number }): Promise<boolean> {
    const jobId = webhookQueueJobId(delivery.id, delivery.sequence);
    const state = await this.queue.getJobState(jobId);
    if (IN_FLIGHT.has(state)) return false;
    if (state !== 'unknown') await this.queue.remove(jobId);
    await this.enqueue([delivery]);
    return true;
  }
}
