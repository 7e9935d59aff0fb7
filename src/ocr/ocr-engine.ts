import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Worker as Thread } from 'node:worker_threads';
import { createWorker, OEM, type PSM, type Worker } from 'tesseract.js';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { withTimeout } from '../common/with-timeout.js';
import type { OcrPageSegMode, RecognizedText, Rotation } from './ocr-types.js';
import { parseTsv } from './tsv.js';

/** Everything an engine needs to start; resolved from `OcrPoolOptions` by the pool. */
export interface OcrEngineConfig {
  languages: string[];
  /** Every language engines of this pool may be asked for (the native engine checks them at start). */
  installed: string[];
  langPath: string;
  psm: OcrPageSegMode;
  createTimeoutMs: number;
  /**
   * `orientation`: an engine for {@link OcrEngine.detectOrientation} only, on
   * Tesseract's legacy core with the `osd` model (OSD has no LSTM version).
   */
  purpose: 'text' | 'orientation';
}

/** Tesseract's orientation and script detection for one image. */
export interface DetectedOrientation {
  /** Clockwise degrees that make the page upright. */
  rotation: Rotation;
  /** Tesseract's orientation confidence; about 1 and above is meaningful (see OcrPoolsService). */
  confidence: number;
}

/** The `@tesseract.js-data/osd` model, legacy engine data for orientation detection. */
export function osdLangPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tesseract.js-data/osd/package.json')), '4.0.0');
}

/** What {@link OcrPool} needs of an engine, tesseract.js thread or native process slot alike. */
export interface TextEngine {
  /** The languages it reads, as Tesseract takes them (`deu+eng`). */
  readonly languages: string;
  /** Recognitions started on this engine, for recycling. */
  jobs: number;
  /**
   * Pixels of the largest image this engine has been given, for recycling an
   * engine whose memory grew to fit it; null for an engine that keeps no memory
   * between calls.
   */
  largestImage: number | null;
  readonly alive: boolean;
  recognize(image: Buffer): Promise<RecognizedText>;
  detectOrientation(image: Buffer): Promise<DetectedOrientation>;
  terminate(reason?: Error): Promise<void>;
}

/**
 * One tesseract.js worker thread. The pool owns the policy (queueing, timeouts,
 * replacement); this class makes the thread's failures arrive as rejections.
 */
export class OcrEngine implements TextEngine {
  jobs = 0;
  /** Its wasm heap grew to fit this and never shrinks. */
  largestImage: number | null = 0;
  private dead = false;
  private failCurrent?: (error: Error) => void;

  private constructor(
    readonly languages: string,
    private readonly worker: Worker,
    private readonly thread: Thread | undefined,
  ) {
    // tesseract.js assigns `onerror`, which a Node worker thread ignores: without
    // these listeners an uncaught exception in the thread (a wasm abort, say)
    // is re-thrown in the main thread and ends the process.
    thread?.on('error', (error) => this.die(new AppError(ErrorCode.INTERNAL, `OCR engine crashed: ${error.message}`)));
    thread?.on('exit', () => this.die(new AppError(ErrorCode.INTERNAL, 'OCR engine exited')));
  }

  /**
   * Starts a worker thread, loads the model from disk and sets the page mode.
   *
   * @throws AppError INTERNAL when the language data is missing, unreadable or
   *   the engine does not come up within `createTimeoutMs`.
   */
  static async create(config: OcrEngineConfig): Promise<OcrEngine> {
    // Checked first because tesseract.js falls back to a CDN without local data
    // and, with an errorHandler set, never settles when that fails.
    for (const lang of config.languages) {
      const file = join(config.langPath, `${lang}.traineddata.gz`);
      await access(file).catch(() => {
        throw new AppError(ErrorCode.INTERNAL, `OCR language data not found: ${file}`);
      });
    }

    let thread: Thread | undefined;
    let starting = true;
    let failed: (error: Error) => void = () => {};
    const failure = new Promise<never>((_, reject) => (failed = reject));
    // createWorker spawns its thread synchronously but hands the worker over only
    // once the model is loaded, and never when loading fails. The thread is
    // captured from Node's built-in 'worker_threads' channel (published
    // synchronously by `new Worker`) so a failed or hung start can still be
    // terminated instead of keeping the process alive.
    const capture = (message: unknown) => (thread = (message as { worker: Thread }).worker);
    subscribe('worker_threads', capture);
    const orientation = config.purpose === 'orientation';
    const pending = createWorker(config.languages, orientation ? OEM.TESSERACT_ONLY : OEM.LSTM_ONLY, {
      langPath: config.langPath,
      legacyCore: orientation,
      legacyLang: orientation,
      gzip: true,
      // 'none': otherwise tesseract.js writes eng.traineddata into the working
      // directory and later prefers that copy over langPath.
      cacheMethod: 'none',
      // Called for every failed job besides the rejection of its promise; without
      // it tesseract.js throws from its message handler and crashes the process.
      errorHandler: (data: unknown) => {
        if (!starting) return; // recognize() failures arrive as rejections too
        // A failed initialisation rejects and then resolves the same job; the
        // second message finds no pending promise and tesseract.js's handler
        // throws in the main thread. Nothing more from this thread is wanted.
        thread?.removeAllListeners('message');
        failed(new AppError(ErrorCode.INTERNAL, `OCR engine failed to start: ${String(data)}`));
      },
    });
    unsubscribe('worker_threads', capture);
    // Until the engine's own listeners are attached, a thread that throws (the
    // wasm failing to load, say) must fail the start rather than the process.
    thread?.on('error', (error) => {
      if (starting) failed(new AppError(ErrorCode.INTERNAL, `OCR engine failed to start: ${error.message}`));
    });

    try {
      const worker = await withTimeout(Promise.race([pending, failure]), config.createTimeoutMs, () => {
        throw new AppError(ErrorCode.INTERNAL, `OCR engine did not start within ${config.createTimeoutMs} ms`);
      });
      starting = false;
      const engine = new OcrEngine(config.languages.join('+'), worker, thread ?? (worker as unknown as { worker?: Thread }).worker);
      // debug_file: Tesseract's diagnostics ("Detected 39 diacritics", "Estimating
      // resolution") go to stdout otherwise, bypassing the service's logger.
      await worker.setParameters({ tessedit_pageseg_mode: String(config.psm) as PSM, debug_file: '/dev/null' });
      return engine;
    } catch (error) {
      starting = false;
      thread?.removeAllListeners('message');
      await thread?.terminate();
      throw error;
    }
  }

  /** False once the thread has exited or been terminated. */
  get alive(): boolean {
    return !this.dead;
  }

  /**
   * Recognises one image with words and boxes. Rejects if the thread dies meanwhile;
   * the caller is expected to discard the engine after any rejection.
   */
  recognize(image: Buffer): Promise<RecognizedText> {
    return this.track(async () => {
      // TSV rather than `blocks`: tesseract.js builds the blocks as objects down
      // to every symbol, which cost 60-90 ms of CPU a receipt (about 9 %).
      const { data } = await this.worker.recognize(image, {}, { text: true, tsv: true }).catch((error: unknown) => {
        throw engineError(error);
      });
      return { ...parseTsv(data.tsv ?? ''), text: data.text, confidence: data.confidence };
    });
  }

  /**
   * Detects which way up the page is. Rejects like {@link recognize}. A page with
   * too little text to tell reports rotation 0 with confidence 0.
   */
  detectOrientation(image: Buffer): Promise<DetectedOrientation> {
    return this.track(async () => {
      const { data } = await this.worker.detect(image).catch((error: unknown) => {
        throw engineError(error);
      });
      const rotation = (data.orientation_degrees ?? 0) as Rotation;
      return { rotation, confidence: data.orientation_confidence ?? 0 };
    });
  }

  /** Runs one call on the thread, failing it at once if the thread dies meanwhile. */
  private track<T>(call: () => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(new AppError(ErrorCode.INTERNAL, 'OCR engine is not running'));
    this.jobs += 1;
    let fail: ((error: Error) => void) | undefined;
    return new Promise<T>((resolve, reject) => {
      fail = reject;
      this.failCurrent = reject;
      call().then(resolve, reject);
    }).finally(() => {
      if (this.failCurrent === fail) this.failCurrent = undefined;
    });
  }

  /**
   * Stops the thread, which is the only way to stop a recognition in progress;
   * that call rejects with `reason`. Resolves when the thread has exited.
   */
  async terminate(reason: Error = new AppError(ErrorCode.INTERNAL, 'OCR engine terminated')): Promise<void> {
    this.die(reason);
    if (this.thread) await this.thread.terminate();
    else await this.worker.terminate();
  }

  private die(reason: Error): void {
    this.dead = true;
    this.failCurrent?.(reason);
    this.failCurrent = undefined;
  }
}

/** tesseract.js rejects with a bare string. */
function engineError(data: unknown): Error {
  const message = String(data);
  // Leptonica could not read the bytes: a document problem, not the engine's.
  if (message.includes('Error attempting to read image')) {
    return new DocumentError(ErrorCode.CORRUPT_FILE, 'The OCR engine cannot read the image.');
  }
  return new AppError(ErrorCode.INTERNAL, `OCR engine failed: ${message}`);
}
