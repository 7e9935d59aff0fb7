import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { createRedis, type RedisConnection } from './redis-connection.js';

/**
 * BullMQ's connection, given to it as a client rather than as options because
 * only a client can be a Cluster. Queues share it; a worker makes its own
 * copies (BullMQ duplicates it for blocking reads) and closes those itself,
 * but it leaves a client it was given open: closing it is ours.
 */
@Injectable()
export class QueueConnection implements OnApplicationShutdown {
  readonly client: RedisConnection;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Workers must wait for Redis rather than fail a command mid-job.
    this.client = createRedis(config, { connectionName: 'ocrflow-queue', maxRetriesPerRequest: null });
    // BullMQ reports errors as the queue's 'error' event, and /health reports Redis.
    this.client.on('error', () => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    // Nest shuts global modules such as RedisModule down last: after the queues and workers.
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
