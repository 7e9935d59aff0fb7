import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { QueueConnection } from '../../infra/redis/queue-connection.js';
import { ocrJobPayload, QueueName } from '../../jobs/queue-contract.js';
import { ProcessingService } from './processing.service.js';

/**
 * Consumes the `ocr` queue. Thin by design: parse the payload, hand it to the
 * service, let errors reach BullMQ so attempts and backoff apply.
 *
 * The BullMQ worker is made here rather than by `@Processor`, whose options
 * are fixed when the class is declared: its lock and stalled-check timings
 * come from config. A worker that dies leaves its entry's lock to lapse
 * (`QUEUE_LOCK_DURATION_MS`), and another worker's stalled check
 * (`QUEUE_STALLED_INTERVAL_MS`) puts the entry back in the queue. The lock is
 * renewed from the event loop, which OCR never blocks: engines, PDF and image
 * decoding run in threads and processes of their own.
 */
@Injectable()
export class OcrProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OcrProcessor.name);
  private worker?: Worker;

  constructor(
    private readonly processing: ProcessingService,
    private readonly connection: QueueConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Starts consuming only once every module (OCR engines included) is ready. */
  onApplicationBootstrap(): void {
    const { queue } = this.config;
    this.worker = new Worker(QueueName.OCR, (job, token) => this.process(job, token), {
      connection: this.connection.client,
      prefix: queue.prefix,
      concurrency: queue.concurrency,
      lockDuration: queue.lockDurationMs,
      stalledInterval: queue.stalledIntervalMs,
      // An entry whose workers died more than this fails in BullMQ; its job row, still
      // RUNNING, is then the reconciler's to retry or fail by its attempts.
      maxStalledCount: queue.attempts,
    });
    // Connection trouble is retried by BullMQ itself; it only needs to be visible.
    this.worker.on('error', (error) => this.logger.warn(`queue worker: ${error.message}`));
  }

  /**
   * Takes no new job, lets each running job store the page it is on and gives
   * it back (another worker resumes it from there), then returns, while the
   * database and engines are still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.worker) return;
    const closed = this.worker.close();
    this.processing.drain();
    await closed;
  }

  private async process(job: Job, token?: string): Promise<void> {
    const payload = ocrJobPayload.safeParse(job.data);
    if (!payload.success) throw new UnrecoverableError('malformed ocr job payload');
    const attempt = job.attemptsMade + 1;
    const outcome = await this.processing.run(payload.data.jobId, { attempt, lastAttempt: attempt >= (job.opts.attempts ?? 1) });
    if (outcome === 'released') {
      // Back to waiting, no attempt counted: the next worker to start takes it.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }
}
