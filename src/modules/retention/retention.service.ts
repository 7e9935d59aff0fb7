import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { IdempotencyKeysRepository } from '../../jobs/idempotency-keys.repository.js';
import { JobRemover } from '../../jobs/job-remover.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Jobs read per batch; each is deleted with its files before the next batch is read. */
const JOB_BATCH = 100;
/** Keys deleted per statement. */
const KEY_BATCH = 1_000;
/** Batches per run, so that one run ends; the next run takes the rest. */
const MAX_BATCHES = 50;

/** What one run purged. */
export interface PurgeReport {
  /** Jobs deleted with their files. */
  jobs: number;
  /** Jobs kept because their files could not be deleted (logged); the next run tries again. */
  kept: number;
  /** Expired idempotency keys deleted. */
  keys: number;
}

/**
 * Deletes finished jobs older than `JOB_RETENTION_DAYS` (by `finishedAt`)
 * with their results and files, and expired idempotency keys. Run by the
 * maintenance job, once per interval across all workers; running it twice at
 * once is harmless too: each job's row is deleted once and counted once.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly remover: JobRemover,
    private readonly keys: IdempotencyKeysRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async purge(now = Date.now()): Promise<PurgeReport> {
    const report: PurgeReport = { jobs: 0, kept: 0, keys: 0 };
    const { days } = this.config.retention;
    if (days > 0) await this.purgeJobs(new Date(now - days * DAY_MS), report);
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const deleted = await this.keys.purgeExpired(KEY_BATCH, now);
      report.keys += deleted;
      if (deleted < KEY_BATCH) break;
    }
    if (report.jobs + report.kept + report.keys > 0) this.logger.log({ ...report, retentionDays: days }, 'retention purge');
    return report;
  }

  private async purgeJobs(finishedBefore: Date, report: PurgeReport): Promise<void> {
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const jobs = await this.jobs.findFinishedBefore(finishedBefore, JOB_BATCH);
      let kept = 0;
      for (const job of jobs) {
        const outcome = await this.remover.remove(job);
        if (outcome === 'deleted') report.jobs += 1;
        if (outcome === 'kept') kept += 1;
      }
      report.kept += kept;
      // A store that fails would fail the whole next batch too (the same jobs, first): stop until the next run.
      if (kept > 0 || jobs.length < JOB_BATCH) return;
    }
  }
}
