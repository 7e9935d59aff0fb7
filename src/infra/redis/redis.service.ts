import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { createRedis, type RedisConnection } from './redis-connection.js';

/**
 * The process's Redis connection for health checks, job event wake-ups, the
 * IP rate limit and the quotas. It fails fast instead of queueing commands
 * while Redis is away, so /health answers promptly during an outage and no
 * request or worker waits on it. Commands issued in one turn of the event
 * loop leave in one write (autopipelining: 3 Redis writes per upload → 0.45
 * in bench/upload).
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  /** A `Cluster` with `REDIS_CLUSTER=true`. */
  readonly client: RedisConnection;
  /** The first connection: made, or failed. */
  private readonly connected: Promise<unknown>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createRedis(config, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: 'ocrflow',
      enableAutoPipelining: true,
    });
    // Reconnection is automatic; errors are reported through health, not crashes.
    this.client.on('error', () => undefined);
    this.connected = this.client.connect().catch(() => undefined);
  }

  /**
   * Answers once Redis does. The first connection, still being made when a
   * process has just started, is waited for (the caller bounds the wait);
   * without it, a health check that came first reported Redis unreachable.
   * After that, a connection that is down fails at once.
   */
  async ping(): Promise<void> {
    await this.connected;
    await this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
