import sharp from 'sharp';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { OcrEngine, osdLangPath, type DetectedOrientation, type OcrEngineConfig, type TextEngine } from './ocr-engine.js';
import { LanguageFolder } from './language-data.js';
import { NativeEngine } from './native-engine.js';
import { mapBoxes, type BandedImage, type OcrPage, type OcrPoolOptions, type RecognizeOptions, type RecycleReason } from './ocr-types.js';
import { pageConfidence } from './tsv.js';

interface Waiter {
  /** The languages of the engine it waits for, `+`-joined. */
  languages: string;
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
 *
 * An engine reads the languages it was started with. A call for other
 * languages gets an engine started for them in place of one that is idle or
 * finishing (its replacement serves the oldest call no engine serves), so the
 * pool never holds more than `size` engines, whatever languages jobs ask for:
 * with one language set, as most deployments run, nothing changes.
 */
export class OcrPool {
  private readonly idle: TextEngine[] = [];
  private readonly live = new Set<TextEngine>();
  private readonly waiters: Waiter[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Replacements being created, so close() can wait for them too. */
  private readonly startups = new Set<Promise<void>>();
  /** Engines being started, by languages. */
  private readonly startingFor = new Map<string, number>();
  private restartFailures = 0;
  private lastStartError?: unknown;
  private closed = false;

  private constructor(
    private readonly createEngine: (languages: string) => Promise<TextEngine>,
    /** What engines read when no call asks for other languages. */
    private readonly defaultLanguages: string,
    private readonly installed: ReadonlySet<string>,
    private readonly folder: LanguageFolder | undefined,
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
    const languages = options.languages ?? [purpose === 'orientation' ? 'osd' : 'eng'];
    const installed = [...new Set([...languages, ...(options.installed ?? [])])];
    const recognizeTimeoutMs = positive('recognizeTimeoutMs', options.recognizeTimeoutMs ?? 120_000);
    const recycleAfter = positive('recycleAfter', options.recycleAfter ?? 100);
    const createTimeoutMs = positive('createTimeoutMs', options.createTimeoutMs ?? 30_000);
    // tesseract.js reads every language from one folder; the native engine from Tesseract's own.
    const folder =
      options.engine === 'native' || options.langPath || purpose === 'orientation'
        ? undefined
        : await LanguageFolder.create(installed, options.model ?? 'fast');
    const langPath = options.langPath ?? folder?.path ?? osdLangPath();
    const create = (set: string): Promise<TextEngine> => {
      const config: OcrEngineConfig = { languages: set.split('+'), installed, langPath, psm: options.psm ?? 6, createTimeoutMs, purpose };
      return options.engine === 'native' ? NativeEngine.create(config) : OcrEngine.create(config);
    };
    const started = await Promise.allSettled(Array.from({ length: size }, () => create(languages.join('+'))));
    const engines = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failure = started.find((r) => r.status === 'rejected');
    if (failure) {
      await Promise.all(engines.map((engine) => engine.terminate()));
      await folder?.dispose();
      throw failure.reason;
    }
    return new OcrPool(
      create,
      languages.join('+'),
      new Set(installed),
      folder,
      size,
      recognizeTimeoutMs,
      recycleAfter,
      options.recycleAbovePixels ?? Number.POSITIVE_INFINITY,
      options.recycleAboveRssBytes ?? Number.POSITIVE_INFINITY,
      options.onRecycle,
      engines,
    );
  }

  /**
   * OCRs one page image, normally the PNG from `prepareForOcr`, on the next free
   * engine; a page cut into bands, each band on an engine of its own at the
   * same time, put back together in order (see page-layout.ts). The recognition itself
   * (not the wait for an engine) is limited to `recognizeTimeoutMs`.
   *
   * @throws DocumentError OCR_TIMEOUT when the recognition takes too long;
   *   the signal's reason (an AbortError) when aborted; AppError INTERNAL when the
   *   engine fails, the pool is closed or a language is not installed.
   */
  async recognize(page: Buffer | BandedImage, opts: RecognizeOptions = {}): Promise<OcrPage> {
    const { signal } = opts;
    signal?.throwIfAborted();
    this.assertOpen();
    const languages = this.languagesOf(opts.languages);
    if (Buffer.isBuffer(page)) return this.read(page, languages, signal);
    const { image, bands } = page;
    if (image) return this.read(image, languages, signal);
    // A band that fails stops the others: the page has failed either way.
    const siblings = new AbortController();
    const stop = signal ? AbortSignal.any([signal, siblings.signal]) : siblings.signal;
    const parts = await Promise.all(
      bands.map(async ({ top, image: band }) => {
        const page = await this.read(band, languages, stop).catch((error: unknown) => {
          siblings.abort(error);
          throw error;
        });
        return { ...page, top, lines: mapBoxes(page.lines, (b) => ({ ...b, y0: b.y0 + top, y1: b.y1 + top })) };
      }),
    );
    const last = parts.at(-1)!;
    return joinBands(parts, last.top + last.height);
  }

  /** The `+`-joined languages a call asks for, the pool's default when none. */
  private languagesOf(languages: string[] | undefined): string {
    if (!languages) return this.defaultLanguages;
    const missing = languages.filter((language) => !this.installed.has(language));
    if (missing.length > 0 || languages.length === 0) {
      throw new AppError(ErrorCode.INTERNAL, `OCR languages not installed: ${missing.join(', ') || 'none asked'}`);
    }
    return languages.join('+');
  }

  /** One recognition on the next free engine for the languages. */
  private async read(image: Buffer, languages: string, signal?: AbortSignal): Promise<OcrPage> {
    // Header only, hence no pixel limit. autoOrient: tesseract.js applies an EXIF
    // orientation itself, so its boxes are in the oriented image's pixels. Read
    // while queueing (the queue is FIFO by call order), settled so that a
    // failure is not an unhandled rejection meanwhile.
    const size = sharp(image, { limitInputPixels: false })
      .metadata()
      .then(({ autoOrient }) => ({ width: autoOrient.width, height: autoOrient.height }))
      .catch(() => new DocumentError(ErrorCode.CORRUPT_FILE, 'The OCR input is not a readable image.'));
    const engine = await this.acquire(languages, signal);
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
    const engine = await this.acquire(this.defaultLanguages, opts.signal);
    return this.run(engine, (e) => e.detectOrientation(image), opts.signal);
  }

  /**
   * Engines for the languages (the default ones when none are given) free this
   * moment, none while calls wait: how many bands a page read now could have
   * read at once without making other pages wait.
   */
  idleEngines(languages?: string[]): number {
    const set = languages ? languages.join('+') : this.defaultLanguages;
    return this.idle.filter((engine) => engine.languages === set).length;
  }

  /** Engines being started, whatever their languages. */
  private get starting(): number {
    let count = 0;
    for (const n of this.startingFor.values()) count += n;
    return count;
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
    await this.folder?.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError(ErrorCode.INTERNAL, 'The OCR pool is closed');
  }

  private acquire(languages: string, signal?: AbortSignal): Promise<TextEngine> {
    this.assertOpen();
    // The signal may have fired while the caller awaited something else; its
    // 'abort' event will not fire again.
    if (signal?.aborted) return Promise.reject(signal.reason);
    for (const engine of this.idle.filter((idle) => !idle.alive)) {
      this.idle.splice(this.idle.indexOf(engine), 1);
      this.discard(engine, 'died'); // its thread died while idle
    }
    const match = this.idle.findLastIndex((engine) => engine.languages === languages);
    if (match >= 0) return Promise.resolve(this.idle.splice(match, 1)[0]!);
    if (this.live.size === 0 && this.starting === 0) return Promise.reject(this.noEngineError());
    const waiting = this.wait(languages, signal);
    // Idle engines read other languages: one is started anew for these.
    if (this.idle.length > 0 && this.firstUnserved()?.languages === languages) this.discard(this.idle.shift()!, 'languages');
    return waiting;
  }

  private wait(languages: string, signal?: AbortSignal): Promise<TextEngine> {
    return new Promise<TextEngine>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        languages,
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

  /**
   * Hands a healthy engine to the oldest waiter for its languages, or parks it.
   * When the oldest waiter of all reads other languages and no engine is
   * starting for it, the engine is replaced by one for it instead: calls for
   * rarer languages are not overtaken for ever.
   */
  private release(engine: TextEngine): void {
    const wornOut = this.closed ? null : this.wornOut(engine);
    if (this.closed || wornOut) {
      this.discard(engine, wornOut);
      return;
    }
    const match = this.waiters.findIndex((waiter) => waiter.languages === engine.languages);
    const unserved = this.firstUnserved();
    if (match === 0 || (match > 0 && unserved !== this.waiters[0])) this.waiters.splice(match, 1)[0]!.resolve(engine);
    else if (unserved) this.discard(engine, 'languages');
    else this.idle.push(engine);
  }

  /** The oldest waiter that no engine being started will serve. */
  private firstUnserved(): Waiter | undefined {
    const seen = new Map<string, number>();
    return this.waiters.find((waiter) => {
      const count = (seen.get(waiter.languages) ?? 0) + 1;
      seen.set(waiter.languages, count);
      return count > (this.startingFor.get(waiter.languages) ?? 0);
    });
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

  /** Starts an engine for the oldest waiter no engine will serve, else for the default languages. */
  private startReplacement(): void {
    if (this.live.size + this.starting >= this.size) return;
    const languages = this.firstUnserved()?.languages ?? this.defaultLanguages;
    const starting = (change: number) => this.startingFor.set(languages, (this.startingFor.get(languages) ?? 0) + change);
    starting(1);
    const startup: Promise<void> = this.createEngine(languages).then(
      async (engine) => {
        starting(-1);
        this.restartFailures = 0;
        if (this.closed) {
          await engine.terminate();
          return;
        }
        this.live.add(engine);
        this.release(engine);
      },
      (error: unknown) => {
        starting(-1);
        this.restartFailures += 1;
        this.lastStartError = error;
        if (this.closed) return;
        // Nobody would ever serve these waiters: fail them now rather than hang jobs.
        const hopeless = (waiter: Waiter) =>
          (this.live.size === 0 && this.starting === 0) ||
          (waiter.languages === languages && !this.startingFor.get(languages) && ![...this.live].some((live) => live.languages === languages));
        for (const waiter of this.waiters.filter(hopeless)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.reject(this.noEngineError());
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
