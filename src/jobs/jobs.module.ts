import { Module } from '@nestjs/common';
import { QueueModule } from './queue.module.js';
import { JobEventBus } from './job-event-bus.js';
import { JobLifecycle } from './job-lifecycle.js';
import { JobSecrets } from './job-secrets.js';
import { JobStateRepository } from './job-state.repository.js';
import { JobsRepository } from './jobs.repository.js';
import { OcrJobProducer } from './ocr-job.producer.js';
import { IdempotencyKeysRepository } from './idempotency-keys.repository.js';
import { JobRemover } from './job-remover.js';

/**
 * Job rows, their state and events, results and queue entries: shared by the
 * API and the worker. `JobStateRepository` is not exported: every write of a
 * job's state goes through `JobLifecycle`.
 */
@Module({
  imports: [QueueModule],
  providers: [JobsRepository, JobStateRepository, JobEventBus, JobLifecycle, JobSecrets, OcrJobProducer, JobRemover, IdempotencyKeysRepository],
  exports: [JobsRepository, JobEventBus, JobLifecycle, JobSecrets, OcrJobProducer, JobRemover, IdempotencyKeysRepository],
})
export class JobsModule {}
