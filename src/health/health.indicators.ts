import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import { RedisService } from '../infra/redis/redis.service.js';

const TIMEOUT_MS = 2_000;

/**
 * The service's dependencies as Terminus indicators. The database is the
 * source of truth, so losing it is `down`; Redis only carries the queue, so
 * losing it is `degraded`: reads keep working while it comes back.
 */
@Injectable()
export class HealthIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  database = () =>
    this.health
      .check('database')
      .attempt(async () => {
        await this.prisma.$queryRaw`SELECT 1`;
      })
      .withTimeout(TIMEOUT_MS);

  redisQueue = async () => {
    const session = this.health.check('redis');
    const result = await session
      .attempt(() => this.redis.ping())
      .withTimeout(TIMEOUT_MS);
    return result.redis.status === 'up' ? result : session.degraded({ message: 'redis unreachable' });
  };
}
