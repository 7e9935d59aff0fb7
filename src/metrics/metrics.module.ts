import { Global, Module } from '@nestjs/common';
import { QueueModule } from '../infra/queue/queue.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics, in every mode, only when `ENABLE_METRICS` is set:
 * without it `/metrics` does not exist and nothing is counted. Global, so the
 * lifecycle, the pipeline and the OCR engines can report to it without importing it.
 */
@Global()
@Module({
  imports: [QueueModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
