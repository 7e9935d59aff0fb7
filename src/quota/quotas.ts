import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { RedisConnection } from '../infra/redis/redis-connection.js';
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

/** What {@link Quotas.admit} found. */
export interface Admission {
  /** Undefined when requests are not limited. */
  budget?: RequestBudget;
  /** Asked with `pages`, and the subject's day has no OCR page left: its limit, and seconds until it ends. */
  pagesUsedUp?: { perDay: number; retryAfterSeconds: number };
}

/**
 * rate-limiter-flexible's fixed-window count (`rlflxIncr`, the same keys and
 * values) for each key given, in one script: KEYS[i] gains ARGV[2i-1] points
 * in a window of ARGV[2i] seconds that starts with its first point. Returns
 * {points, ms left} per key. On a Redis Cluster a script's keys must share a
 * slot: they all start with QUEUE_PREFIX, which is then a hash tag.
 */
const COUNT_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local window = ARGV[2 * i]
  redis.call('set', key, 0, 'EX', window, 'NX')
  local points = redis.call('incrby', key, ARGV[2 * i - 1])
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, window)
    ttl = 1000 * window
  end
  out[2 * i - 1] = points
  out[2 * i] = ttl
end
return out`;

interface Count {
  points: number;
  msLeft: number;
}
type Counters<T> = { requests: T; pages: T };

type CountingRedis = RedisConnection & { ocrflowCount(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number[]> };

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
  private readonly redis: CountingRedis;
  private readonly requestKeys: string;
  /** Counts requests while Redis is down. */
  private readonly requestsInMemory?: RateLimiterMemory;
  private readonly pages?: RateLimiterRedis;
  /** The pages limiter's own insurance: what the worker charged in this process while Redis was down. */
  private readonly pagesInMemory?: RateLimiterMemory;

  constructor(redis: RedisService, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { requestsPerMinute, pagesPerDay } = config.quotas;
    this.redis = redis.client as CountingRedis;
    this.redis.defineCommand('ocrflowCount', { lua: COUNT_SCRIPT });
    this.requestKeys = `${config.queue.prefix}:quota:requests`;
    if (requestsPerMinute > 0) this.requestsInMemory = new RateLimiterMemory({ points: requestsPerMinute, duration: 60 });
    if (pagesPerDay > 0) {
      this.pagesInMemory = new RateLimiterMemory({ points: pagesPerDay, duration: DAY_SECONDS });
      this.pages = new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: `${config.queue.prefix}:quota:pages`,
        points: pagesPerDay,
        duration: DAY_SECONDS,
        rejectIfRedisNotReady: true,
        insuranceLimiter: this.pagesInMemory,
      });
    }
  }

  /**
   * Counts one request of `subject` and, with `pages` (an upload), reads how
   * many OCR pages its day has used: one Redis script for both, where two
   * limiters took a command each. Reading the pages adds nothing to them, and
   * starts the subject's day at its first upload rather than its first charge.
   */
  async admit(subject: string, { pages = false }: { pages?: boolean } = {}): Promise<Admission> {
    const asked = { requests: this.requestsInMemory !== undefined, pages: pages && this.pages !== undefined };
    if (!asked.requests && !asked.pages) return {};
    const counted = (await this.countInRedis(subject, asked)) ?? (await this.countInMemory(subject, asked));
    const perDay = this.config.quotas.pagesPerDay;
    return {
      ...(counted.requests && { budget: this.budget(counted.requests) }),
      ...(counted.pages && counted.pages.points >= perDay && { pagesUsedUp: { perDay, retryAfterSeconds: seconds(counted.pages.msLeft) } }),
    };
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

  /** Undefined when Redis is not there to ask. */
  private async countInRedis(subject: string, asked: Counters<boolean>): Promise<Counters<Count | undefined> | undefined> {
    if (this.redis.status !== 'ready') return undefined;
    const keys = [...(asked.requests ? [`${this.requestKeys}:${subject}`] : []), ...(asked.pages ? [this.pages!.getKey(subject)] : [])];
    const args = [...(asked.requests ? [1, 60] : []), ...(asked.pages ? [0, DAY_SECONDS] : [])];
    const out = await this.redis.ocrflowCount(keys.length, ...keys, ...args).catch(() => undefined);
    if (!out) return undefined;
    const count = (at: number): Count => ({ points: out[at]!, msLeft: out[at + 1]! });
    return { requests: asked.requests ? count(0) : undefined, pages: asked.pages ? count(out.length - 2) : undefined };
  }

  /** While Redis is down: this process's own counts, with the same limits. */
  private async countInMemory(subject: string, asked: Counters<boolean>): Promise<Counters<Count | undefined>> {
    const count = (res: RateLimiterRes): Count => ({ points: res.consumedPoints, msLeft: res.msBeforeNext });
    const requests = asked.requests
      ? await this.requestsInMemory!.consume(subject).catch((outcome: unknown) => {
          if (outcome instanceof RateLimiterRes) return outcome; // over the budget
          throw this.storeFailed(outcome);
        })
      : undefined;
    const pages = asked.pages ? await this.pagesInMemory!.penalty(subject, 0) : undefined;
    return { requests: requests && count(requests), pages: pages && count(pages) };
  }

  private budget({ points, msLeft }: Count): RequestBudget {
    const limit = this.config.quotas.requestsPerMinute;
    return { limit, remaining: Math.max(limit - points, 0), resetSeconds: seconds(msLeft), exceeded: points > limit };
  }

  /** Neither Redis nor the insurance limiter answered: an internal fault, not the client's. */
  private storeFailed(error: unknown): AppError {
    this.logger.error({ err: error }, 'quota store failed');
    return new AppError(ErrorCode.INTERNAL, 'Quota check failed');
  }
}

/** Whole seconds, at least one: a `Retry-After`. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
