import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { withTimeout } from '../common/with-timeout.js';
import { QueueConnection } from '../infra/redis/queue-connection.js';
import { JobName, jobOptions, ocrQueueJobId, QueueName, type OcrJobPayload } from './queue-contract.js';
import { WriteBatcher } from './write-batcher.js';

/** How long an upload waits for Redis before the API answers 503. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/** How long {@link OcrJobProducer.enqueueAgain} waits for the entry of a job's last run to settle. */
const SETTLE_TIMEOUT_MS = 5_000;

/** Queue entries that a worker will still pick up or is running. */
export const IN_FLIGHT = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** Puts document jobs on the `ocr` queue, and tells whether one is still there. */
@Injectable()
export class OcrJobProducer {
  private readonly logger = new Logger(OcrJobProducer.name);
  /** Uploads arriving together share one `addBulk`: one Redis round trip (MULTI/EXEC) for the lot. */
  private readonly adds = new WriteBatcher<string, unknown>((jobIds) =>
    this.queue.addBulk(
      jobIds.map((jobId) => ({
        name: JobName.OCR_DOCUMENT,
        data: { v: 1, jobId } satisfies OcrJobPayload,
        opts: { ...jobOptions(JobName.OCR_DOCUMENT, this.config), jobId: ocrQueueJobId(jobId) },
      })),
    ),
  );

  constructor(
    @InjectQueue(QueueName.OCR) private readonly queue: Queue,
    private readonly connection: QueueConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // Without a listener, connection errors during a Redis outage go to stderr raw.
    queue.on('error', (error) => this.logger.warn(`queue connection: ${error.message}`));
  }

  /** Enqueues the pointer to a job row; safe to call twice for the same job. */
  async enqueue(jobId: string): Promise<void> {
    await withTimeout(this.adds.submit(jobId), ENQUEUE_TIMEOUT_MS, () => {
      throw new Error('enqueue timed out');
    });
  }

  /** True while the job's queue entry is waiting, delayed or running. */
  async isInFlight(jobId: string): Promise<boolean> {
    return IN_FLIGHT.has(await this.queue.getJobState(ocrQueueJobId(jobId)));
  }

  /**
   * Makes sure a job has a live queue entry: one Redis forgot is added again,
   * one left finished (completed or failed) by an earlier run is replaced.
   * Returns true when it enqueued.
   */
  async ensureQueued(jobId: string): Promise<boolean> {
    const state = await this.queue.getJobState(ocrQueueJobId(jobId));
    if (IN_FLIGHT.has(state)) return false;
    if (state !== 'unknown') await this.queue.remove(ocrQueueJobId(jobId));
    await this.enqueue(jobId);
    return true;
  }

  /**
   * Whether Redis lost the queue (a restart without persistence, a flush, a
   * failover to a replica that lagged) since any process last asked: a marker
   * key beside the queue is gone. The first process to ask after a loss is
   * told, and sets the marker again.
   */
  async queueLost(): Promise<boolean> {
    return (await this.connection.client.set(`${this.config.queue.prefix}:queue-epoch`, String(Date.now()), 'NX')) === 'OK';
  }

  /**
   * Enqueues a finished job put back to `QUEUED` (a retry). Its last run's
   * entry has the same id and BullMQ ignores an add with an id it holds, so
   * that entry is replaced ({@link ensureQueued}). An entry still `active`
   * belongs to a worker finishing that run (the row moved before the entry
   * did): it is given a few seconds to settle. One waiting or delayed would
   * run the job anyway, since a worker takes whatever the row says. Should the
   * entry not settle, the reconciler enqueues the job after its grace period.
   */
  async enqueueAgain(jobId: string): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let state = await this.queue.getJobState(ocrQueueJobId(jobId));
    while (state === 'active' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await this.queue.getJobState(ocrQueueJobId(jobId));
    }
    if (state === 'active') {
      this.logger.warn({ jobId }, 'the entry of the job’s last run is still active; the reconciler enqueues the retry');
      return;
    }
    await this.ensureQueued(jobId);
  }

  /** Entries on the queue by state, for operators. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
  }
}
