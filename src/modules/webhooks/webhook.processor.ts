import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { QueueName, webhookJobPayload } from '../../jobs/queue-contract.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';

/** Consumes the `webhook` queue: parse, hand over, let failures reach BullMQ's attempts and backoff. */
@Processor(QueueName.WEBHOOK, { autorun: false })
export class WebhookProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookProcessor.name);

  constructor(
    private readonly deliveries: WebhookDeliveryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.webhooks!.concurrency;
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`webhook queue worker: ${error.message}`);
  }

  async process(job: Job): Promise<void> {
    const payload = webhookJobPayload.safeParse(job.data);
    if (!payload.success) throw new UnrecoverableError('malformed webhook job payload');
    const attempt = job.attemptsMade + 1;
    await this.deliveries.attempt(payload.data.deliveryId, payload.data.sequence, { attempt, lastAttempt: attempt >= (job.opts.attempts ?? 1) });
  }
}
