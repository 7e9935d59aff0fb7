import { Module } from '@nestjs/common';
import { QueueModule } from '../../../infra/queue/queue.module.js';
import { DocumentsModule } from '../documents.module.js';
import { DocumentsService } from '../documents.service.js';
import { OcrJobProducer } from '../ocr-job.producer.js';
import { JobsController } from './jobs.controller.js';

/** The HTTP surface for documents: loaded in api and all modes only. */
@Module({
  imports: [DocumentsModule, QueueModule],
  controllers: [JobsController],
  providers: [DocumentsService, OcrJobProducer],
})
export class DocumentsHttpModule {}
