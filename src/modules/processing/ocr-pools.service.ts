import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { OcrPool } from '../../ocr/ocr-pool.js';
import type { BandedImage, OcrEngineKind, OcrPage, RecognizeOptions, RecycleReason, Rotation } from '../../ocr/ocr-types.js';
import { orientationSample, rotated } from '../../ocr/orientation-image.js';

/**
 * Orientation confidence from which a detected turn is applied. Measured with
 * Tesseract OSD on the 25 SROIE receipts: upright, 24 said 0 and one said 180
 * at 0.54; turned by 90/180/270 (24 cases), the right turn came with 0.24–7.57
 * and 17 were at 1 or above. Generated A4 text pages scored 11.8–16.9 (from
 * samples of ORIENTATION_MAX_PIXELS) and the corpus's turned scan
 * (ocrmypdf_cardinal.pdf) 7.7–12.5. Below 1 a page is left as it is.
 */
const MIN_ORIENTATION_CONFIDENCE = 1;

/**
 * Orientation detection reads a copy at most this large: OSD needs the shape
 * of text lines, not fine detail, and its time and its engine's memory grow
 * with the pixels (an A4 page at 300 dpi took 0.9 s at full size). But too
 * small a copy of a page of 12-point text turns it the wrong way: generated A4
 * pages turned 90 and 270 degrees, at 1 MP, were detected as the opposite
 * turn with confidence 2.3-3.1 (above MIN_ORIENTATION_CONFIDENCE, so read
 * upside down; bench/accuracy's turned set); at 2 MP all six turns were right
 * at 11.8-16.9, and one receipt of 24 turned ones that was wrong at 0.8 came
 * right at 4.4. The other receipts are at most 2 MP and read the same. On a
 * busy 2-core machine the detection took 164 ms on average at 1 MP, 200 ms
 * at 2 MP and 229 ms at 4 MP.
 */
const ORIENTATION_MAX_PIXELS = 2_000_000;

/**
 * Owns the worker process's OCR engines: the text engines are created once at
 * start-up, reused by every job, closed only after the queue worker has
 * drained at shutdown. One more engine, with Tesseract's `osd` model on the
 * same kind of engine as the text (native, or tesseract.js's legacy core),
 * detects page orientation. Only a page read with low confidence needs it (on
 * tesseract.js it holds about 95 MB), so it starts on the first such page and
 * stops after `OCR_ORIENTATION_IDLE_MS` without one.
 */
@Injectable()
export class OcrPoolsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(OcrPoolsService.name);
  private text?: OcrPool;
  /** Started on demand; see the class comment. */
  private orientation?: Promise<OcrPool>;
  /** upright() calls under way: the orientation engine is not stopped while there are any. */
  private orientationCalls = 0;
  private orientationIdle?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** The engine reading text, `OCR_ENGINE=auto` resolved; set once started. */
  engine?: OcrEngineKind;

  async onModuleInit(): Promise<void> {
    const { ocr } = this.config;
    const textPool = (engine: OcrEngineKind) =>
      OcrPool.create({
        ...this.poolOptions('text'),
        size: ocr.workers,
        engine,
        model: ocr.model,
        psm: ocr.psm,
        languages: ocr.defaultLanguages,
        installed: ocr.languages,
        recycleAbovePixels: ocr.recycleAbovePixels,
        recycleAboveRssBytes: ocr.recycleAboveRssBytes,
      });
    // `auto`: the native engines when they start (Tesseract's library and the
    // models of every OCR_LANGS language are installed), tesseract.js otherwise.
    const text = async (): Promise<[OcrEngineKind, OcrPool]> => {
      if (ocr.engine !== 'auto') return [ocr.engine, await textPool(ocr.engine)];
      const native = await textPool('native').catch((error: unknown) => {
        this.logger.log(`native Tesseract is not used: ${error instanceof Error ? error.message : String(error)}`);
      });
      return native ? ['native', native] : ['tesseractjs', await textPool('tesseractjs')];
    };
    [this.engine, this.text] = await text();
    const model = this.engine === 'native' ? 'the installed one' : ocr.model;
    this.logger.log({ engine: this.engine, model, engines: ocr.workers, languages: ocr.languages.join('+'), default: ocr.defaultLanguages.join('+') }, 'OCR engines started');
  }

  /**
   * The page turned upright (a PNG) and the clockwise turn applied; the image
   * itself when its orientation is unclear (too little text) or already right.
   */
  async upright(image: Buffer, options: RecognizeOptions = {}): Promise<{ image: Buffer; rotation: Rotation }> {
    this.started(this.text); // not before the service has started, nor after it has stopped
    clearTimeout(this.orientationIdle);
    this.orientationCalls += 1;
    try {
      const sample = await orientationSample(image, ORIENTATION_MAX_PIXELS);
      const { rotation, confidence } = await (await this.orientationPool()).detectOrientation(sample, options);
      if (rotation === 0 || confidence < MIN_ORIENTATION_CONFIDENCE) return { image, rotation: 0 };
      return { image: await rotated(image, rotation), rotation };
    } finally {
      this.orientationCalls -= 1;
      if (this.orientationCalls === 0) {
        this.orientationIdle = setTimeout(() => void this.stopOrientation(), this.config.ocr.orientationIdleMs).unref();
      }
    }
  }

  /** True while the orientation engine is started or starting. */
  get orientationRunning(): boolean {
    return this.orientation !== undefined;
  }

  recognize(page: Buffer | BandedImage, options: RecognizeOptions = {}): Promise<OcrPage> {
    return this.started(this.text).recognize(page, options);
  }

  /** Text engines for the languages free this moment (see {@link OcrPool.idleEngines}). */
  idleEngines(languages?: string[]): number {
    return this.started(this.text).idleEngines(languages);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.orientationIdle);
    await Promise.all([this.text?.close(), this.stopOrientation()]);
  }

  /** The orientation engine, started if it is not. Fed samples of at most ORIENTATION_MAX_PIXELS, so its heap stays small. */
  private orientationPool(): Promise<OcrPool> {
    const start = (engine: OcrEngineKind) => OcrPool.create({ ...this.poolOptions('orientation'), size: 1, engine, purpose: 'orientation' });
    // Native without Tesseract's osd model (a trimmed install): tesseract.js's, which ships with the service.
    const native = () =>
      start('native').catch((error: unknown) => {
        this.logger.warn(`the native orientation engine did not start (${error instanceof Error ? error.message : String(error)}); using tesseract.js's`);
        return start('tesseractjs');
      });
    this.orientation ??= (this.engine === 'native' ? native() : start('tesseractjs')).catch((error: unknown) => {
      this.orientation = undefined; // the next page that needs it tries again
      throw error;
    });
    return this.orientation;
  }

  private async stopOrientation(): Promise<void> {
    const pool = this.orientation;
    this.orientation = undefined;
    await pool?.then((started) => started.close(), () => undefined);
  }

  private poolOptions(pool: 'text' | 'orientation') {
    const { timeoutMs, recycleAfter } = this.config.ocr;
    return {
      recognizeTimeoutMs: timeoutMs,
      recycleAfter,
      onRecycle: (reason: RecycleReason) => this.metrics?.engineRecycled(pool, reason),
    };
  }

  private started(pool: OcrPool | undefined): OcrPool {
    if (!pool) throw new Error('OCR engines are not started');
    return pool;
  }
}
