import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { JobName, jobOptions, ocrQueueJobId, QueueName, type OcrJobPayload } from '../../jobs/queue-contract.js';

/** How long an upload waits for Redis before the API answers 503. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/** Puts document jobs on the `ocr` queue. */
@Injectable()
export class OcrJobProducer {
  private readonly logger = new Logger(OcrJobProducer.name);

  constructor(
    @InjectQueue(QueueName.OCR) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Without a listener, connection errors during a Redis outage go to stderr raw.
    queue.on('error', (error) => this.logger.warn(`queue connection: ${error.message}`));
  }

  /** Enqueues the pointer to a job row; safe to call twice for the same job. */
  async enqueue(jobId: string): Promise<void> {
    const payload: OcrJobPayload = { v: 1, jobId };
    const add = this.queue.add(JobName.OCR_DOCUMENT, payload, {
      ...jobOptions(JobName.OCR_DOCUMENT, this.config.queue),
      jobId: ocrQueueJobId(jobId),
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
    });
    try {
      await Promise.race([add, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
