import { Module } from '@nestjs/common';
import { QueueModule } from '../../infra/queue/queue.module.js';
import { DocumentsModule } from '../documents/documents.module.js';
import { OcrEngineService } from './ocr-engine.service.js';
import { OcrProcessor } from './ocr.processor.js';
import { ProcessingService } from './processing.service.js';

/** The OCR worker: loaded in worker and all modes only, since a processor consumes at once. */
@Module({
  imports: [DocumentsModule, QueueModule],
  providers: [OcrEngineService, ProcessingService, OcrProcessor],
})
export class ProcessingModule {}
