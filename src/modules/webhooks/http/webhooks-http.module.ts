import { Module } from '@nestjs/common';
import { JobsModule } from '../../../jobs/jobs.module.js';
import { WebhooksModule } from '../webhooks.module.js';
import { WebhooksService } from '../webhooks.service.js';
import { WebhooksController } from './webhooks.controller.js';

/** `GET /jobs/:id/webhooks` and redelivery: api and all modes. */
@Module({
  imports: [JobsModule, WebhooksModule],
  controllers: [WebhooksController],
  providers: [WebhooksService],
})
export class WebhooksHttpModule {}
