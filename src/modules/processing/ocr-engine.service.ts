import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { OcrPool } from '../../ocr/ocr-pool.js';
import type { OcrPage, RecognizeOptions } from '../../ocr/ocr-types.js';

/**
 * Owns the worker process's OCR engines: created once at start-up, reused by
 * every job, closed only after the queue worker has drained at shutdown.
 */
@Injectable()
export class OcrEngineService implements OnModuleInit, OnApplicationShutdown {
  private pool?: OcrPool;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.pool = await OcrPool.create({
      size: this.config.ocr.workers,
      recognizeTimeoutMs: this.config.ocr.timeoutMs,
      recycleAfter: this.config.ocr.recycleAfter,
      recycleAboveRssBytes: this.config.ocr.recycleAboveRssBytes,
    });
  }

  recognize(image: Buffer, options: RecognizeOptions = {}): Promise<OcrPage> {
    if (!this.pool) throw new Error('OCR engines are not started');
    return this.pool.recognize(image, options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }
}
