import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config/config.js';
import { RedisService } from '../../src/infra/redis/redis.service.js';
import { REDIS_URL } from '../support/harness.js';

const serviceFor = (redisUrl: string) => new RedisService({ redisUrl } as AppConfig);

describe('RedisService.ping', () => {
  it('waits for the first connection of a process that has just started', async () => {
    const redis = serviceFor(REDIS_URL);
    try {
      // Asked in the same turn as the connection is started, as a health check arriving first would.
      await expect(redis.ping()).resolves.toBeUndefined();
    } finally {
      await redis.onApplicationShutdown();
    }
  });

  it('fails when nothing answers', async () => {
    const redis = serviceFor('redis://127.0.0.1:1');
    try {
      await expect(redis.ping()).rejects.toThrow();
    } finally {
      await redis.onApplicationShutdown();
    }
  });
});
