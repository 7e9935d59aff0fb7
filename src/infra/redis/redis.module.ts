import { Global, Module } from '@nestjs/common';
import { QueueConnection } from './queue-connection.js';
import { RedisService } from './redis.service.js';

/**
 * The process's Redis connections: the fail-fast one (health checks, event
 * publishing, rate limit and quotas) and BullMQ's, which waits for Redis.
 */
@Global()
@Module({ providers: [RedisService, QueueConnection], exports: [RedisService, QueueConnection] })
export class RedisModule {}
