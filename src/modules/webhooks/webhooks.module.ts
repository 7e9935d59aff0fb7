import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module.js';
import { QueueModule } from '../../jobs/queue.module.js';
import { WebhookOutbox } from './webhook-outbox.service.js';
import { WebhookProducer } from './webhook.producer.js';
import { WebhooksRepository } from './webhooks.repository.js';

/**
 * The webhook outbox, in every mode: whichever process moves a job to its
 * end (a worker, or the API cancelling it) creates and queues its deliveries.
 */
@Module({
  imports: [QueueModule, JobsModule],
  providers: [WebhooksRepository, WebhookProducer, WebhookOutbox],
  exports: [WebhooksRepository, WebhookProducer, WebhookOutbox],
})
export class WebhooksModule {}
