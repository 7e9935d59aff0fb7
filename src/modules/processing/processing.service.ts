import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DocumentError, ErrorCode } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE, type ArtifactStore } from '../../infra/artifacts/artifact-store.js';
import { documentText, type PageResult } from '../documents/job-result.js';
import { JobsRepository } from '../documents/jobs.repository.js';
import { OcrEngineService } from './ocr-engine.service.js';
import { prepareForOcr } from '../../reader/image-decoder.js';

/** Turns a queued job into a result: open the document, OCR it, store the outcome. */
@Injectable()
export class ProcessingService {
  private readonly logger = new Logger(ProcessingService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly ocr: OcrEngineService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Runs one attempt. Permanent document problems fail the job and throw
   * {@link UnrecoverableError} so BullMQ does not retry; anything else is
   * rethrown for BullMQ's backoff, and fails the job on the last attempt.
   */
  async run(jobId: string, { lastAttempt }: { lastAttempt: boolean }): Promise<void> {
    if (!(await this.jobs.claim(jobId))) {
      this.logger.log({ jobId }, 'job is gone or already finished; skipping');
      return;
    }
    try {
      const pages = await this.recognize(jobId);
      await this.jobs.succeed(jobId, { text: documentText(pages), pages });
    } catch (error) {
      if (error instanceof DocumentError) {
        await this.jobs.fail(jobId, error.code, error.message);
        throw new UnrecoverableError(error.message);
      }
      if (lastAttempt) await this.jobs.fail(jobId, ErrorCode.INTERNAL, 'Processing failed');
      throw error;
    }
  }

  private async recognize(jobId: string): Promise<PageResult[]> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new Error(`job ${jobId} vanished while running`);
    const original = await this.store.get(job.originalKey);
    const prepared = await prepareForOcr(original, this.config.limits.image);
    const page = await this.ocr.recognize(prepared.image);
    return [{ number: 1, ...page }];
  }
}
