import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';

/** The process's fail-fast Redis connection (health checks, event publishing, rate limit and quotas). */
@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
