import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { Periodic } from '../../common/periodic.js';
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

  private readonly scheduling = new Periodic(
    () => this.schedule(),
    (error) => this.logger.warn({ err: error }, 'scheduling the maintenance job failed; the next check tries again'),
  );
  private scheduled = false;

  /** Schedules (and checks the schedule every `RECONCILE_INTERVAL_MS`), and consumes. */
  onApplicationBootstrap(): void {
    this.scheduling.start(this.config.reconcile.intervalMs);
    void this.worker.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.scheduling.stop();
    await this.worker.close();
  }

  /**
   * Upserts the schedule when this worker starts (a new interval takes
   * effect), and again whenever Redis has lost it: a flush, a restart without
   * persistence or a failover would otherwise stop the purge until a worker
   * restarted. The check is one read; only a missing schedule is written.
   */
  private async schedule(): Promise<void> {
    if (this.scheduled && (await this.queue.getJobScheduler(MAINTENANCE_SCHEDULER_ID))) return;
    await this.queue.upsertJobScheduler(
      MAINTENANCE_SCHEDULER_ID,
      { every: this.config.retention.intervalMs },
      { name: JobName.MAINTENANCE, data: { v: 1 } satisfies MaintenancePayload, opts: jobOptions(JobName.MAINTENANCE, this.config) },
    );
    if (this.scheduled) this.logger.warn('the maintenance schedule was gone from Redis (a flush, a restart or a failover); scheduled again');
    this.scheduled = true;
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
