import { Global, Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';

/** The process's fail-fast Redis connection (health checks, event publishing). */
@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
