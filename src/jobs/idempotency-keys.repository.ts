import { Injectable } from '@nestjs/common';
import { PrismaService } from '../infra/prisma/prisma.service.js';

/** How long a key answers with its job: 24 hours, as clients of such APIs expect. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * A claim without a job this old belongs to a request that died while
 * storing its upload (an upload is stored in seconds: the store's and the
 * queue's timeouts are 30 s and 5 s); the key may be claimed again.
 */
const ABANDONED_AFTER_MS = 2 * 60 * 1000;

/** What {@link IdempotencyKeysRepository.claim} found. */
export type Claim =
  /** The key is this request's: create the job, then {@link IdempotencyKeysRepository.complete}. */
  | { kind: 'claimed' }
  /** An earlier request with the same key and the same content created this job. */
  | { kind: 'replay'; jobId: string }
  /** An earlier request with the same key is still storing its upload. */
  | { kind: 'pending' }
  /** The key was used for a different request. */
  | { kind: 'mismatch' };

/** `Idempotency-Key`s of `POST /jobs` (table `idempotency_keys`), per owner. */
@Injectable()
export class IdempotencyKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Claims `key` for a request whose content hashes to `hash`, in one
   * statement, so that of concurrent duplicates exactly one claims it. An
   * expired key, or an abandoned claim, is taken over.
   */
  async claim(ownerId: string, key: string, hash: string, now = Date.now()): Promise<Claim> {
    const expired = new Date(now - IDEMPOTENCY_KEY_TTL_MS);
    const abandoned = new Date(now - ABANDONED_AFTER_MS);
    const claimed = await this.prisma.$queryRaw<unknown[]>`
      INSERT INTO idempotency_keys AS k (owner_id, key, request_hash, job_id, created_at)
      VALUES (${ownerId}, ${key}, ${hash}, NULL, ${new Date(now)})
      ON CONFLICT (owner_id, key) DO UPDATE SET request_hash = excluded.request_hash, job_id = NULL, created_at = excluded.created_at
      WHERE k.created_at < ${expired} OR (k.job_id IS NULL AND k.created_at < ${abandoned})
      RETURNING 1`;
    if (claimed.length > 0) return { kind: 'claimed' };
    const held = await this.prisma.idempotencyKey.findUnique({ where: { ownerId_key: { ownerId, key } } });
    // Released (or its job deleted) since the insert: claim it again.
    if (!held) return this.claim(ownerId, key, hash, now);
    if (held.requestHash !== hash) return { kind: 'mismatch' };
    return held.jobId ? { kind: 'replay', jobId: held.jobId } : { kind: 'pending' };
  }

  /** The claimed key now answers with `jobId`. */
  async complete(ownerId: string, key: string, jobId: string): Promise<void> {
    await this.prisma.idempotencyKey.updateMany({ where: { ownerId, key, jobId: null }, data: { jobId } });
  }

  /** The claiming request failed: the key is free for the client's next attempt. */
  async release(ownerId: string, key: string): Promise<void> {
    await this.prisma.idempotencyKey.deleteMany({ where: { ownerId, key, jobId: null } });
  }

  /** Deletes up to `limit` keys older than the TTL; returns how many. */
  async purgeExpired(limit: number, now = Date.now()): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM idempotency_keys WHERE (owner_id, key) IN (
        SELECT owner_id, key FROM idempotency_keys WHERE created_at < ${new Date(now - IDEMPOTENCY_KEY_TTL_MS)} LIMIT ${limit}
      )`;
  }
}
