import { Module } from '@nestjs/common';
import { ExtractionService } from './extraction.service.js';

/** Field extraction, for the worker (after OCR) and the API (re-extraction). */
@Module({
  providers: [ExtractionService],
  exports: [ExtractionService],
})
export class ExtractionModule {}
