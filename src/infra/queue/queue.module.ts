import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { QueueName } from '../../jobs/queue-contract.js';

/** BullMQ connection and queue registration, shared by producers and processors. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        prefix: config.queue.prefix,
        // Workers must wait for Redis rather than fail a command mid-job.
        connection: { url: config.redisUrl, maxRetriesPerRequest: null },
      }),
    }),
    BullModule.registerQueue({ name: QueueName.OCR }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
