import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DocumentError, ErrorCode } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE, type ArtifactStore } from '../../infra/artifacts/artifact-store.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { Quotas } from '../../quota/quotas.js';
import { DocumentReader } from '../../reader/document-reader.js';
import { JobLifecycle } from '../../jobs/job-lifecycle.js';
import { jobLanguages, jobOptionsSchema, selectPages } from '../../jobs/job-options.js';
import { JobSecrets } from '../../jobs/job-secrets.js';
import { JobsRepository, type Job } from '../../jobs/jobs.repository.js';
import { JobLeases, JobStopped, type Lease } from './job-leases.js';
import { OutputWriter } from './output-writer.js';
import { inOrder } from './page-pipeline.js';
import { PageRecognizer } from './page-recognizer.js';
import { ExtractionService } from '../extraction/extraction.service.js';
import { parseSchema } from '../../fields/schemas.js';

/**
 * Turns a queued job into a result: open the document (in its own thread) →
 * select pages → read and OCR the pages not yet checkpointed, several at once
 * (one per OCR engine, plus one being read ahead), storing each in page order
 * → finish. A redelivered job resumes at its first unstored page.
 *
 * Pages in flight per job are bounded by the engine count plus one, not more:
 * each holds a decoded page image, and jobs running side by side (queue
 * concurrency) share the engines' FIFO queue, so a long document takes turns
 * with a one-page receipt instead of queueing all its pages ahead of it.
 */
@Injectable()
export class ProcessingService {
  private readonly logger = new Logger(ProcessingService.name);

  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly jobs: JobsRepository,
    private readonly pages: PageRecognizer,
    private readonly quotas: Quotas,
    private readonly extraction: ExtractionService,
    private readonly leases: JobLeases,
    private readonly secrets: JobSecrets,
    private readonly outputs: OutputWriter,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Runs one attempt. Permanent document problems fail the job and throw
   * {@link UnrecoverableError} so BullMQ does not retry; anything else is
   * rethrown for BullMQ's backoff, and fails the job on the last attempt.
   *
   * Resolves `released` when the worker shut down mid-job and gave the job
   * back (its queue entry should wait for another worker), otherwise `done`:
   * the job finished, or stopped being this attempt's (a cancel) and was left
   * as it is.
   */
  async run(jobId: string, { attempt, lastAttempt }: { attempt: number; lastAttempt: boolean }): Promise<'done' | 'released'> {
    const job = await this.lifecycle.start(jobId);
    if (!job) {
      this.logger.log({ jobId }, 'job is gone or already finished; skipping');
      return 'done';
    }
    const lease = await this.leases.hold(jobId, job.attempts);
    try {
      if ((await this.process(job, lease)) === 'finished') return 'done';
      if (lease.draining && (await this.lifecycle.release(jobId, job.attempts))) {
        this.logger.log({ jobId }, 'worker shutting down: job given back at a checkpoint');
        return 'released';
      }
      this.logger.log({ jobId }, 'job stopped: cancelled, deleted or taken over');
      return 'done';
    } catch (error) {
      if (error instanceof DocumentError) {
        await this.lifecycle.fail(jobId, error.code, error.message);
        throw new UnrecoverableError(error.message);
      }
      // Cancelled, deleted or taken over mid-page: the lease aborted the engines, or the work
      // failed for it (a delete removes the original first). Nothing to retry.
      if (error instanceof JobStopped || (await this.jobs.progress(jobId))?.status !== 'RUNNING') {
        this.logger.log({ jobId, reason: (error as Error).message }, 'job stopped mid-page: cancelled, deleted or taken over');
        return 'done';
      }
      // Not the document's fault (the store, the database or an engine failed): retried by the queue,
      // and logged with its stack, since the job's INTERNAL code does not say why.
      if (!lastAttempt) {
        this.logger.warn({ err: error, jobId, attempt }, 'processing failed; the queue retries it');
        throw error;
      }
      this.logger.error({ err: error, jobId, attempt }, 'processing failed; no attempts left');
      await this.lifecycle.fail(jobId, ErrorCode.INTERNAL, 'Processing failed');
      throw error;
    } finally {
      lease.release();
    }
  }

  /** Shutdown: running jobs stop at their next checkpoint and are given back. */
  drain(): void {
    this.leases.drainAll();
  }

  /**
   * `finished`, or `stopped` at a checkpoint: the lease was lost (a cancel) or
   * the worker is draining. Throws the lease's {@link JobStopped} when it was
   * lost mid-page.
   */
  private async process(job: Job, lease: Lease): Promise<'finished' | 'stopped'> {
    const options = jobOptionsSchema.parse(job.options);
    const languages = jobLanguages(options.languages, this.config.ocr);
    const { limits } = this.config;
    const started = performance.now();
    const original = await this.store.get(job.originalKey);
    const reader = await DocumentReader.open(original, {
      password: job.password === null ? undefined : this.secrets.open(job.id, job.password),
      ocr: options.ocr,
      image: limits.image,
      pdf: limits.pdf,
      ocrMaxPixels: limits.ocrMaxPixels,
      deskew: this.config.ocr.deskew,
    });
    const totals: Record<string, number> = { open: Math.round(performance.now() - started), save: 0 };
    this.metrics?.documentOpened(totals.open);
    try {
      const numbers = selectPages(options.pages, reader.pageCount, limits.maxPages);
      // Charged once: a redelivered job was planned (and charged) by its first attempt.
      if (job.pagesTotal === null) await this.quotas.chargePages(job.ownerId, numbers.length);
      await this.lifecycle.plan(job.id, numbers.length);
      const stored = await this.jobs.storedPageNumbers(job.id);
      const pending = numbers.filter((n) => !stored.has(n));
      let left = pending.length;
      const pagesStarted = performance.now();
      const running = await inOrder(
        pending,
        this.config.ocr.workers + 1,
        (number, signal) => this.pages.recognize(reader, number, { signal, jobId: job.id, languages }),
        async (outcome) => {
          for (const [stage, ms] of Object.entries(outcome.timings)) totals[stage] = (totals[stage] ?? 0) + ms;
          const saving = performance.now();
          const stillRunning = await this.lifecycle.completePage(job.id, outcome);
          const saved = Math.round(performance.now() - saving);
          totals.save += saved;
          this.metrics?.pageProcessed(outcome, saved);
          left -= 1;
          // Draining, the job is given back after this page, unless it was the last.
          return stillRunning && (left === 0 || !lease.draining);
        },
        lease.signal,
      );
      // Stage totals add up every page's time; pages overlap, so this is the wall time they took.
      totals.pages = Math.round(performance.now() - pagesStarted);
      if (!running) return 'stopped';
    } finally {
      await reader.close();
    }
    const { schema } = options;
    await this.lifecycle.finish(job.id, {
      extract: schema === undefined ? undefined : (pages) => this.extraction.extract(parseSchema(schema), pages),
      write: (pages) => this.outputs.write(job, options.outputs, original, pages),
    });
    this.logger.log({ jobId: job.id, pages: reader.pageCount, ms: totals }, 'document processed');
    return 'finished';
  }
}
