import { Module } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookProcessor } from './webhook.processor.js';
import { WebhookSweeper } from './webhook-sweeper.service.js';
import { WebhooksModule } from './webhooks.module.js';

/** Sends webhooks and sweeps the outbox: worker and all modes, and only with webhooks on. */
@Module({
  imports: [WebhooksModule],
  providers: [WebhookDeliveryService, WebhookProcessor, WebhookSweeper],
})
export class WebhooksWorkerModule {}
