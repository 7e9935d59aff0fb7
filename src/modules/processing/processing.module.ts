import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module.js';
import { ExtractionModule } from '../extraction/extraction.module.js';
import { OcrPoolsService } from './ocr-pools.service.js';
import { JobLeases } from './job-leases.js';
import { OcrProcessor } from './ocr.processor.js';
import { OutputWriter } from './output-writer.js';
import { PageRecognizer } from './page-recognizer.js';
import { ProcessingService } from './processing.service.js';
import { ReconcilerService } from './reconciler.service.js';

/** The OCR worker: loaded in worker and all modes only, since a processor consumes at once. */
@Module({
  imports: [JobsModule, ExtractionModule],
  providers: [OcrPoolsService, PageRecognizer, JobLeases, OutputWriter, ProcessingService, OcrProcessor, ReconcilerService],
})
export class ProcessingModule {}
