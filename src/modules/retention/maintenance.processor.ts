import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { JobName, jobOptions, MAINTENANCE_SCHEDULER_ID, maintenancePayload, QueueName, type MaintenancePayload } from '../../jobs/queue-contract.js';
import { RetentionService, type PurgeReport } from './retention.service.js';

/**
 * Consumes the `maintenance` queue. Every worker upserts the one job
 * scheduler (same id, same interval: one schedule), and the scheduler makes
 * one BullMQ job per interval, which one worker takes: the purge runs once
 * per interval however many replicas there are.
 */
@Processor(QueueName.MAINTENANCE, { autorun: false })
export class MaintenanceProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    private readonly retention: RetentionService,
    @InjectQueue(QueueName.MAINTENANCE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
    queue.on('error', (error) => this.logger.warn(`maintenance queue connection: ${error.message}`));
  }

  /**
   * Schedules, then consumes. A Redis that is down now does not stop the
   * worker: the schedule is made by the next worker to start (or this one's restart).
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.queue.upsertJobScheduler(
        MAINTENANCE_SCHEDULER_ID,
        { every: this.config.retention.intervalMs },
        { name: JobName.MAINTENANCE, data: { v: 1 } satisfies MaintenancePayload, opts: jobOptions(JobName.MAINTENANCE, this.config) },
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'scheduling the maintenance job failed; another worker, or this one restarted, schedules it');
    }
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn(`maintenance worker: ${error.message}`);
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    this.logger.error({ err: error, queueJobId: job?.id }, 'maintenance run failed; the next interval runs it again');
  }

  /** The report is the BullMQ job's return value, for operators (Bull Board) and tests. */
  async process(job: Job): Promise<PurgeReport> {
    if (!maintenancePayload.safeParse(job.data).success) throw new UnrecoverableError('malformed maintenance job payload');
    return this.retention.purge();
  }
}
