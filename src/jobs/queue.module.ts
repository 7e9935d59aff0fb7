import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { QueueName } from './queue-contract.js';
import { QueueConnection } from '../infra/redis/queue-connection.js';

/** BullMQ connection and queue registration, shared by producers and processors. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG, QueueConnection],
      useFactory: (config: AppConfig, connection: QueueConnection) => ({
        prefix: config.queue.prefix,
        connection: connection.client,
      }),
    }),
    BullModule.registerQueue({ name: QueueName.OCR }, { name: QueueName.WEBHOOK }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
