import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ARTIFACT_STORE, type ArtifactStore } from '../infra/artifacts/artifact-store.js';
import { PrismaService } from '../infra/prisma/prisma.service.js';
import { RedisService } from '../infra/redis/redis.service.js';
import { LlmExtractor } from '../fields/llm-extractor.js';

const TIMEOUT_MS = 2_000;

/**
 * The service's dependencies as Terminus indicators. The database is the
 * source of truth, so losing it is `down`; Redis only carries the queue, so
 * losing it is `degraded`: reads keep working while it comes back. So is the
 * artifact store (`storage`: the directory, or a HEAD on the bucket): uploads
 * answer 503 and jobs wait for their retry, but results are read from the
 * database, and every replica shares the one store. The LLM
 * extractor (when configured) is `degraded` too: jobs fall back to the local one.
 */
@Injectable()
export class HealthIndicators {
  /** Absent without `LLM_BASE_URL`. */
  private readonly llm?: LlmExtractor;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.llm = config.llm && new LlmExtractor(config.llm);
  }

  /** The indicators to check: the LLM's only when one is configured. */
  get all() {
    return [this.database, this.redisQueue, this.storage, ...(this.llm ? [this.llmExtractor] : [])];
  }

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

  storage = async () => {
    const session = this.health.check('storage');
    const result = await session.attempt(() => this.store.check()).withTimeout(TIMEOUT_MS);
    return result.storage.status === 'up' ? result : session.degraded({ message: 'artifact store unreachable' });
  };

  llmExtractor = async () => {
    const session = this.health.check('llm');
    const result = await session.attempt(() => this.llm!.ping()).withTimeout(TIMEOUT_MS);
    return result.llm.status === 'up' ? result : session.degraded({ message: 'LLM unreachable; the local extractor is used' });
  };
}
