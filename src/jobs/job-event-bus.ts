import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { withTimeout } from '../common/with-timeout.js';
import { createRedis, type RedisConnection } from '../infra/redis/redis-connection.js';
import { RedisService } from '../infra/redis/redis.service.js';

type Listener = () => void;

/** How long a follower waits for Redis to confirm a subscription before relying on polling. */
const SUBSCRIBE_WAIT_MS = 1_000;

/**
 * Wakes whoever follows a job when it has a new event, across processes: the
 * worker that committed a transition publishes on a per-job Redis channel and
 * any API replica relaying that job's events hears it. Only a wake-up crosses
 * Redis; the events themselves are read from `job_events`, so a lost message
 * (Redis away, a failover) delays a client but never reorders or drops an event.
 * On a Redis Cluster a PUBLISH reaches the subscribers of every node.
 */
@Injectable()
export class JobEventBus implements OnApplicationShutdown {
  private readonly logger = new Logger(JobEventBus.name);
  private subscriber?: RedisConnection;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Best effort: the event is committed already, followers also poll. */
  async notify(jobId: string): Promise<void> {
    try {
      await this.redis.client.publish(this.channel(jobId), '1');
    } catch (error) {
      this.logger.debug(`event notification for ${jobId} not sent: ${(error as Error).message}`);
    }
  }

  /**
   * Calls `listener` on every notification for the job until the returned
   * function is called. Resolves once Redis confirmed the subscription, or at
   * once while Redis is away (the follower's polling covers the gap).
   */
  async follow(jobId: string, listener: Listener): Promise<() => void> {
    const channel = this.channel(jobId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      const subscribed = this.connection().subscribe(channel).catch(() => undefined);
      await withTimeout(subscribed, SUBSCRIBE_WAIT_MS, () => undefined);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || this.listeners.get(channel) !== set) return;
      this.listeners.delete(channel);
      void this.subscriber?.unsubscribe(channel).catch(() => undefined);
    };
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  private channel(jobId: string): string {
    return `${this.config.queue.prefix}:job-events:${jobId}`;
  }

  /** One subscriber connection per process, made on first use: an API relaying events, a worker following the jobs it runs. */
  private connection(): RedisConnection {
    if (!this.subscriber) {
      // Queues its SUBSCRIBEs while (re)connecting, and resubscribes after a reconnect.
      const subscriber = createRedis(this.config, {
        connectionName: 'ocrflow-events',
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
      });
      subscriber.on('error', () => undefined); // reported by /health
      subscriber.on('message', (channel: string) => {
        for (const listener of this.listeners.get(channel) ?? []) listener();
      });
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }
}
