import { Global, Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { QueueModule } from '../jobs/queue.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics, in every mode, only when `ENABLE_METRICS` is set:
 * without it `/metrics` does not exist and nothing is counted. It listens to
 * the job lifecycle's events; it is global, so the pipeline and the OCR engines
 * can report to it without importing it.
 */
@Global()
@Module({
  imports: [QueueModule, JobsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
