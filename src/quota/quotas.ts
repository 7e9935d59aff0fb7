import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { RedisService } from '../infra/redis/redis.service.js';

const DAY_SECONDS = 24 * 60 * 60;

/** A subject's request budget after one request, as the `RateLimit-*` headers report it. */
export interface RequestBudget {
  limit: number;
  remaining: number;
  /** Seconds until the window resets: the `Retry-After` of a refused request. */
  resetSeconds: number;
  /** This request was over the budget. */
  exceeded: boolean;
}

/**
 * Per-subject quotas, counted in Redis so that every API replica and worker
 * shares them: requests per minute (API) and OCR pages per rolling day
 * (checked at upload, charged in the worker once the page count is known).
 * The third quota, unfinished jobs at once, is the database's to count (see
 * `JobStateRepository.create`).
 *
 * While Redis is down each process keeps counting in its own memory with the
 * same limits (rate-limiter-flexible's insurance limiter): limits stay in force,
 * per replica, instead of failing open or refusing everyone.
 */
@Injectable()
export class Quotas {
  private readonly logger = new Logger(Quotas.name);
  private readonly requests?: RateLimiterRedis;
  private readonly pages?: RateLimiterRedis;

  constructor(redis: RedisService, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { requestsPerMinute, pagesPerDay } = config.quotas;
    const limiter = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: `${config.queue.prefix}:quota:${name}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration }),
      });
    if (requestsPerMinute > 0) this.requests = limiter('requests', requestsPerMinute, 60);
    if (pagesPerDay > 0) this.pages = limiter('pages', pagesPerDay, DAY_SECONDS);
  }

  /** Counts one request of `subject`; undefined when requests are not limited. */
  async request(subject: string): Promise<RequestBudget | undefined> {
    if (!this.requests) return undefined;
    const limit = this.config.quotas.requestsPerMinute;
    const res = await this.requests.consume(subject).catch((outcome: unknown) => {
      if (outcome instanceof RateLimiterRes) return outcome; // over the budget
      throw this.storeFailed(outcome);
    });
    const resetSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return { limit, remaining: res.remainingPoints, resetSeconds, exceeded: res.consumedPoints > limit };
  }

  /**
   * @throws AppError QUOTA_EXCEEDED when `subject` has no OCR pages left in its day.
   *
   * Reads the count with `penalty(subject, 0)`: one EVALSHA that ioredis
   * pipelines with the other uploads' commands, where `get` is a MULTI of GET
   * and PTTL (a write and a reply of their own per upload). Adding nothing
   * starts the subject's day at its first upload rather than its first charge.
   */
  async assertPagesLeft(subject: string): Promise<void> {
    if (!this.pages) return;
    const used = await this.pages.penalty(subject, 0).catch(() => null);
    if (used && used.consumedPoints >= this.config.quotas.pagesPerDay) {
      const retryAfterSeconds = Math.max(1, Math.ceil(used.msBeforeNext / 1000));
      throw new AppError(ErrorCode.QUOTA_EXCEEDED, `The daily quota of ${this.config.quotas.pagesPerDay} pages is used up`, { retryAfterSeconds });
    }
  }

  /**
   * Charges `count` pages to `subject`'s day.
   *
   * @throws DocumentError QUOTA_EXCEEDED when they do not fit (the job fails;
   *   retrying would not help); nothing is charged then.
   */
  async chargePages(subject: string, count: number): Promise<void> {
    if (!this.pages || count === 0) return;
    const used = await this.pages.get(subject).catch(() => null);
    const left = this.config.quotas.pagesPerDay - (used?.consumedPoints ?? 0);
    const refused = () =>
      new DocumentError(ErrorCode.QUOTA_EXCEEDED, `${count} pages exceed the ${Math.max(0, left)} left of today's quota of ${this.config.quotas.pagesPerDay}`);
    if (count > left) throw refused();
    await this.pages.consume(subject, count).catch((outcome: unknown) => {
      throw outcome instanceof RateLimiterRes ? refused() : this.storeFailed(outcome);
    });
  }

  /** Neither Redis nor the insurance limiter answered: an internal fault, not the client's. */
  private storeFailed(error: unknown): AppError {
    this.logger.error({ err: error }, 'quota store failed');
    return new AppError(ErrorCode.INTERNAL, 'Quota check failed');
  }
}
