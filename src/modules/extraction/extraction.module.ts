import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ExtractionService } from './extraction.service.js';
import { LLM_EXTRACTOR } from './extraction.tokens.js';
import { LlmExtractor } from './llm-extractor.js';

/** Field extraction, for the worker (after OCR), the API (re-extraction) and `/health`. */
@Module({
  providers: [
    {
      provide: LLM_EXTRACTOR,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => (config.llm ? new LlmExtractor(config.llm) : null),
    },
    ExtractionService,
  ],
  exports: [LLM_EXTRACTOR, ExtractionService],
})
export class ExtractionModule {}
