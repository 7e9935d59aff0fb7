import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ocrJobPayload, QueueName } from '../../jobs/queue-contract.js';
import { ProcessingService } from './processing.service.js';

/**
 * Consumes the `ocr` queue. Thin by design: parse the payload, hand it to the
 * service, let errors reach BullMQ so attempts and backoff apply.
 */
@Processor(QueueName.OCR, { autorun: false })
export class OcrProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OcrProcessor.name);

  constructor(
    private readonly processing: ProcessingService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  /** Starts consuming only once every module (OCR engines included) is ready. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.queue.concurrency;
    void this.worker.run();
  }

  /** Lets running jobs finish while the database and engines are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  /** Connection trouble is retried by BullMQ itself; it only needs to be visible. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`queue worker: ${error.message}`);
  }

  async process(job: Job): Promise<void> {
    const payload = ocrJobPayload.safeParse(job.data);
    if (!payload.success) throw new UnrecoverableError('malformed ocr job payload');
    const attempt = job.attemptsMade + 1;
    await this.processing.run(payload.data.jobId, { attempt, lastAttempt: attempt >= (job.opts.attempts ?? 1) });
  }
}
