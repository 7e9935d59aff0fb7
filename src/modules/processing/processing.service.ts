import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DocumentError, ErrorCode } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE, type ArtifactStore } from '../../infra/artifacts/artifact-store.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { Quotas } from '../../quota/quotas.js';
import { DocumentReader } from '../../reader/document-reader.js';
import { JobLifecycle } from '../documents/job-lifecycle.js';
import { jobOptionsSchema, selectPages } from '../documents/job-options.js';
import { JobStateRepository } from '../documents/job-state.repository.js';
import type { Job } from '../documents/jobs.repository.js';
import { PageRecognizer } from './page-recognizer.js';

/**
 * Turns a queued job into a result, page by page: open the document (in its
 * own thread) → select pages → for each page not yet checkpointed: read, OCR,
 * store → finish. A redelivered job resumes at its first unstored page.
 */
@Injectable()
export class ProcessingService {
  private readonly logger = new Logger(ProcessingService.name);

  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly state: JobStateRepository,
    private readonly pages: PageRecognizer,
    private readonly quotas: Quotas,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Runs one attempt. Permanent document problems fail the job and throw
   * {@link UnrecoverableError} so BullMQ does not retry; anything else is
   * rethrown for BullMQ's backoff, and fails the job on the last attempt.
   */
  async run(jobId: string, { lastAttempt }: { lastAttempt: boolean }): Promise<void> {
    const job = await this.lifecycle.start(jobId);
    if (!job) {
      this.logger.log({ jobId }, 'job is gone or already finished; skipping');
      return;
    }
    try {
      await this.process(job);
    } catch (error) {
      if (error instanceof DocumentError) {
        await this.lifecycle.fail(jobId, error.code, error.message);
        throw new UnrecoverableError(error.message);
      }
      if (lastAttempt) await this.lifecycle.fail(jobId, ErrorCode.INTERNAL, 'Processing failed');
      throw error;
    }
  }

  private async process(job: Job): Promise<void> {
    const options = jobOptionsSchema.parse(job.options);
    const { limits } = this.config;
    const started = performance.now();
    const original = await this.store.get(job.originalKey);
    const reader = await DocumentReader.open(original, {
      password: job.password ?? undefined,
      ocr: options.ocr,
      image: limits.image,
      pdf: limits.pdf,
      ocrMaxPixels: limits.ocrMaxPixels,
    });
    const totals: Record<string, number> = { open: Math.round(performance.now() - started), save: 0 };
    this.metrics?.documentOpened(totals.open);
    try {
      const numbers = selectPages(options.pages, reader.pageCount, limits.maxPages);
      // Charged once: a redelivered job was planned (and charged) by its first attempt.
      if (job.pagesTotal === null) await this.quotas.chargePages(job.ownerId, numbers.length);
      await this.lifecycle.plan(job.id, numbers.length);
      const stored = await this.state.storedPageNumbers(job.id);
      for (const number of numbers.filter((n) => !stored.has(n))) {
        const outcome = await this.pages.recognize(reader, number);
        for (const [stage, ms] of Object.entries(outcome.timings)) totals[stage] = (totals[stage] ?? 0) + ms;
        const saving = performance.now();
        const running = await this.lifecycle.completePage(job.id, outcome);
        const saved = Math.round(performance.now() - saving);
        totals.save += saved;
        this.metrics?.pageProcessed(outcome, saved);
        if (!running) return;
      }
    } finally {
      await reader.close();
    }
    await this.lifecycle.finish(job.id);
    this.logger.log({ jobId: job.id, pages: reader.pageCount, ms: totals }, 'document processed');
  }
}
