import sharp from 'sharp';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { modelLangPath, OcrEngine, osdLangPath, type DetectedOrientation, type OcrEngineConfig, type TextEngine } from './ocr-engine.js';
import { NativeEngine } from './native-engine.js';
import { mapBoxes, type BandedImage, type OcrPage, type OcrPoolOptions, type RecognizeOptions, type RecycleReason } from './ocr-types.js';
import { pageConfidence } from './tsv.js';

interface Waiter {
  resolve: (engine: TextEngine) => void;
  reject: (error: unknown) => void;
}

/** Longest pause between attempts to replace an engine that failed to start. */
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * A fixed set of OCR engines shared by every OCR call of the process:
 * tesseract.js threads, or slots that each run one native `tesseract` process
 * at a time (`engine: 'native'`).
 *
 * Engines are created once and reused (a start costs 0.2–0.8 s and the first
 * recognition on a new engine is slower); calls beyond the number of engines
 * wait in FIFO order. An engine that times out, is aborted, fails or has run
 * `recycleAfter` jobs is terminated and replaced in the background, since a
 * worker thread is the only unit whose CPU work can be stopped and whose wasm
 * memory can be given back.
 */
export class OcrPool {
  private readonly idle: TextEngine[] = [];
  private readonly live = new Set<TextEngine>();
  private readonly waiters: Waiter[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Replacements being created, so close() can wait for them too. */
  private readonly startups = new Set<Promise<void>>();
  private starting = 0;
  private restartFailures = 0;
  private lastStartError?: unknown;
  private closed = false;

  private constructor(
    private readonly createEngine: () => Promise<TextEngine>,
    private readonly size: number,
    private readonly recognizeTimeoutMs: number,
    private readonly recycleAfter: number,
    private readonly recycleAbovePixels: number,
    private readonly recycleAboveRssBytes: number,
    private readonly onRecycle: ((reason: RecycleReason) => void) | undefined,
    engines: TextEngine[],
  ) {
    for (const engine of engines) this.live.add(engine);
    this.idle.push(...engines);
  }

  /**
   * Starts `options.size` engines in parallel and resolves once all are ready.
   *
   * PSM 6 by default, as tesseract.js (the CLI uses 3). Measured with the
   * `best_int` model on the corpus: SROIE receipts mean CER 16.2 % at PSM 6
   * against 17.5 % at PSM 3 (medians 11.9 % and 11.8 %), FUNSD forms 35.0 %
   * against 37.4 %; with the `fast` model, receipts 16.6 % against 17.5 %
   * (medians 10.9 % and 12.1 %). PSM 3 is still the better choice for
   * multi-column pages, hence the option.
   *
   * @throws AppError INTERNAL when an engine cannot start; none is left running.
   */
  static async create(options: OcrPoolOptions): Promise<OcrPool> {
    const positive = (name: string, value: number) => {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`OcrPool ${name} must be a positive integer`);
      return value;
    };
    const size = positive('size', options.size);
    const purpose = options.purpose ?? 'text';
    const config: OcrEngineConfig = {
      languages: options.languages ?? [purpose === 'orientation' ? 'osd' : 'eng'],
      langPath: options.langPath ?? (purpose === 'orientation' ? osdLangPath() : modelLangPath(options.model ?? 'fast')),
      psm: options.psm ?? 6,
      createTimeoutMs: positive('createTimeoutMs', options.createTimeoutMs ?? 30_000),
      purpose,
    };
    const recognizeTimeoutMs = positive('recognizeTimeoutMs', options.recognizeTimeoutMs ?? 120_000);
    const recycleAfter = positive('recycleAfter', options.recycleAfter ?? 100);

    const create = (): Promise<TextEngine> =>
      options.engine === 'native' ? NativeEngine.create(config) : OcrEngine.create(config);
    const started = await Promise.allSettled(Array.from({ length: size }, create));
    const engines = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = started.find((r) => r.status === 'rejected');
    if (failure) {
      await Promise.all(engines.map((engine) => engine.terminate()));
      throw failure.reason;
    }
    const recycleAbovePixels = options.recycleAbovePixels ?? Number.POSITIVE_INFINITY;
    const recycleAboveRssBytes = options.recycleAboveRssBytes ?? Number.POSITIVE_INFINITY;
    return new OcrPool(create, size, recognizeTimeoutMs, recycleAfter, recycleAbovePixels, recycleAboveRssBytes, options.onRecycle, engines);
  }

  /**
   * OCRs one page image, normally the PNG from `prepareForOcr`, on the next free
   * engine; a page cut into bands, each band on an engine of its own at the
   * same time, put back together in order (see page-layout.ts). The recognition itself
   * (not the wait for an engine) is limited to `recognizeTimeoutMs`.
   *
   * @throws DocumentError OCR_TIMEOUT when the recognition takes too long;
   *   the signal's reason (an AbortError) when aborted; AppError INTERNAL when the
   *   engine fails or the pool is closed.
   */
  async recognize(page: Buffer | BandedImage, opts: RecognizeOptions = {}): Promise<OcrPage> {
    const { signal } = opts;
    signal?.throwIfAborted();
    this.assertOpen();
    if (Buffer.isBuffer(page)) return this.read(page, signal);
    const { image, bands } = page;
    if (image) return this.read(image, signal);
    // A band that fails stops the others: the page has failed either way.
    const siblings = new AbortController();
    const stop = signal ? AbortSignal.any([signal, siblings.signal]) : siblings.signal;
    const parts = await Promise.all(
      bands.map(async ({ top, image: band }) => {
        const page = await this.read(band, stop).catch((error: unknown) => {
          siblings.abort(error);
          throw error;
        });
        return { ...page, top, lines: mapBoxes(page.lines, (b) => ({ ...b, y0: b.y0 + top, y1: b.y1 + top })) };
      }),
    );
    const last = parts.at(-1)!;
    return joinBands(parts, last.top + last.height);
  }

  /** One recognition on the next free engine. */
  private async read(image: Buffer, signal?: AbortSignal): Promise<OcrPage> {
    // Header only, hence no pixel limit. autoOrient: tesseract.js applies an EXIF
    // orientation itself, so its boxes are in the oriented image's pixels. Read
    // while queueing (the queue is FIFO by call order), settled so that a
    // failure is not an unhandled rejection meanwhile.
    const size = sharp(image, { limitInputPixels: false })
      .metadata()
      .then(({ autoOrient }) => ({ width: autoOrient.width, height: autoOrient.height }))
      .catch(() => new DocumentError(ErrorCode.CORRUPT_FILE, 'The OCR input is not a readable image.'));
    const engine = await this.acquire(signal);
    const dimensions = await size;
    if (dimensions instanceof DocumentError) {
      this.release(engine);
      throw dimensions;
    }
    if (engine.largestImage !== null) engine.largestImage = Math.max(engine.largestImage, dimensions.width * dimensions.height);
    return { ...dimensions, ...(await this.run(engine, (e) => e.recognize(image), signal)) };
  }

  /**
   * Detects which way up a page image is, on the next free engine of a pool
   * created with `purpose: 'orientation'`. Limited and abortable like {@link recognize}.
   */
  async detectOrientation(image: Buffer, opts: RecognizeOptions = {}): Promise<DetectedOrientation> {
    opts.signal?.throwIfAborted();
    this.assertOpen();
    const engine = await this.acquire(opts.signal);
    return this.run(engine, (e) => e.detectOrientation(image), opts.signal);
  }

  /**
   * Engines free this moment (none while calls wait): how many bands a page
   * read now could have read at once without making other pages wait.
   */
  get idleEngines(): number {
    return this.idle.length;
  }

  /** Engines running or idle; replacements still starting are not counted. */
  get engines(): number {
    return this.live.size;
  }

  /**
   * Terminates every engine. Queued and running calls reject with AppError
   * INTERNAL; later calls are refused. Resolves once all threads have exited.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    const error = new AppError(ErrorCode.INTERNAL, 'The OCR pool is closed');
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.idle.length = 0;
    await Promise.all([...this.live].map((engine) => engine.terminate(error)));
    this.live.clear();
    await Promise.all(this.startups);
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError(ErrorCode.INTERNAL, 'The OCR pool is closed');
  }

  private acquire(signal?: AbortSignal): Promise<TextEngine> {
    this.assertOpen();
    // The signal may have fired while the caller awaited something else; its
    // 'abort' event will not fire again.
    if (signal?.aborted) return Promise.reject(signal.reason);
    for (let engine = this.idle.pop(); engine; engine = this.idle.pop()) {
      if (engine.alive) return Promise.resolve(engine);
      this.discard(engine, 'died'); // its thread died while idle
    }
    if (this.live.size === 0 && this.starting === 0) return Promise.reject(this.noEngineError());
    return new Promise<TextEngine>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        resolve: (engine) => { done(); resolve(engine); },
        reject: (error) => { done(); reject(error); },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private run<T>(engine: TextEngine, work: (engine: TextEngine) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        this.release(engine);
        reject(signal.reason);
        return;
      }
      let settled = false;
      /** `replace`: why the engine may not serve again; null to release it. */
      const settle = (replace: RecycleReason | null, outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (replace) this.discard(engine, replace);
        else this.release(engine);
        outcome();
      };
      const timer = setTimeout(() => {
        const seconds = this.recognizeTimeoutMs / 1000;
        settle('timeout', () => reject(new DocumentError(ErrorCode.OCR_TIMEOUT, `OCR took longer than ${seconds} s`)));
      }, this.recognizeTimeoutMs);
      const onAbort = () => settle('aborted', () => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      work(engine).then(
        (page) => settle(null, () => resolve(page)),
        (error: unknown) => settle('failure', () => reject(error)),
      );
    });
  }

  /** Hands a healthy engine to the next waiter, or parks it. */
  private release(engine: TextEngine): void {
    const wornOut = this.closed ? null : this.wornOut(engine);
    if (this.closed || wornOut) {
      this.discard(engine, wornOut);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(engine);
    else this.idle.push(engine);
  }

  /** Why an engine that finished a call must be replaced, or null when it may serve again. */
  private wornOut(engine: TextEngine): RecycleReason | null {
    if (!engine.alive) return 'died';
    if (engine.jobs >= this.recycleAfter) return 'jobs';
    if ((engine.largestImage ?? 0) > this.recycleAbovePixels) return 'pixels';
    // A fresh engine (jobs 0) is never the one that grew: replacing it would loop.
    if (engine.jobs > 0 && process.memoryUsage.rss() > this.recycleAboveRssBytes) return 'rss';
    return null;
  }

  /**
   * Terminates an engine and, while the pool is open, reports why and starts
   * its replacement (`reason` is null only when the pool is closing).
   */
  private discard(engine: TextEngine, reason: RecycleReason | null): void {
    this.live.delete(engine);
    void engine.terminate();
    if (this.closed) return;
    if (reason) this.onRecycle?.(reason);
    this.startReplacement();
  }

  private startReplacement(): void {
    if (this.live.size + this.starting >= this.size) return;
    this.starting += 1;
    const startup: Promise<void> = this.createEngine().then(
      async (engine) => {
        this.starting -= 1;
        this.restartFailures = 0;
        if (this.closed) {
          await engine.terminate();
          return;
        }
        this.live.add(engine);
        this.release(engine);
      },
      (error: unknown) => {
        this.starting -= 1;
        this.restartFailures += 1;
        this.lastStartError = error;
        if (this.closed) return;
        // Nobody would ever serve the queue: fail it now rather than hang jobs.
        if (this.live.size === 0 && this.starting === 0) {
          for (const waiter of this.waiters.splice(0)) waiter.reject(this.noEngineError());
        }
        const delay = Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (this.restartFailures - 1));
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!this.closed) this.startReplacement();
        }, delay);
        timer.unref();
        this.timers.add(timer);
      },
    );
    this.startups.add(startup);
    void startup.finally(() => this.startups.delete(startup));
  }

  private noEngineError(): AppError {
    const cause = this.lastStartError instanceof Error ? `: ${this.lastStartError.message}` : '';
    return new AppError(ErrorCode.INTERNAL, `No OCR engine is available${cause}`);
  }
}

/**
 * Bands of one page read apart, as one reading: their lines in order, a blank
 * line between their texts (as between blocks), the mean word confidence.
 */
function joinBands(parts: OcrPage[], height: number): OcrPage {
  const lines = parts.flatMap((part) => part.lines);
  return {
    width: parts[0]!.width,
    height,
    // Each band's text ends with its last line's newline.
    text: parts.map((part) => part.text).filter((text) => text.trim() !== '').join('\n'),
    confidence: pageConfidence(lines),
    lines,
  };
}
