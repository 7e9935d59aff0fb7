import { Module } from '@nestjs/common';
import { QueueModule } from '../../infra/queue/queue.module.js';
import { JobsRepository } from './jobs.repository.js';
import { OcrJobProducer } from './ocr-job.producer.js';

/** Job rows, results and their queue entries: shared by the API and the worker. */
@Module({
  imports: [QueueModule],
  providers: [JobsRepository, OcrJobProducer],
  exports: [JobsRepository, OcrJobProducer],
})
export class DocumentsModule {}
