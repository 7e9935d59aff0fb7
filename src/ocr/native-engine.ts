import { fork, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { PendingCalls } from '../common/pending-calls.js';
import { threadFile } from '../common/thread-file.js';
import { IMAGE_FD, IMAGE_HEADER_BYTES, type NativeAnswer, type NativeReply } from './native-engine-protocol.js';
import type { DetectedOrientation, TextEngine } from './ocr-engine.js';
import type { OcrPageSegMode, RecognizedText } from './ocr-types.js';
import { parseTsv } from './tsv.js';

/** What a native engine runs with. */
export interface NativeEngineConfig {
  languages: string[];
  /** Every language engines of this pool may be asked for, checked to be installed at start. */
  installed: string[];
  psm: OcrPageSegMode;
  createTimeoutMs: number;
  /** `orientation`: an engine for {@link NativeEngine.detectOrientation} only, with Tesseract's `osd` model. */
  purpose: 'text' | 'orientation';
}

/** Most of an engine process's stderr kept for an error message. */
const STDERR_TAIL = 2_000;

/** The engine process's entry file. */
function processFile(): string {
  return fileURLToPath(threadFile(new URL('./native-engine.process.js', import.meta.url)));
}

/**
 * One long-lived process running Tesseract's own library (the Debian package
 * `tesseract-ocr`, with its model `tesseract-ocr-eng`) through its C API; see
 * native-engine.process.ts. Pages go to it as PNGs and come back as TSV,
 * parsed into the same structure tesseract.js gives.
 *
 * The model is loaded once per engine, where the `tesseract` CLI loads it for
 * every page (about 90 ms of CPU with the fast model, 18 % of a receipt).
 * Tesseract frees a page's memory when it is done with it, so the pool does
 * not recycle these engines for large images (`largestImage` null); a stuck
 * page is stopped, as on tesseract.js, by ending the engine (its process).
 *
 * `OMP_THREAD_LIMIT=1`: with its default OpenMP threads Tesseract 5.3 was 5-6
 * times slower on a 2-core machine; the pool runs one engine per core instead.
 */
export class NativeEngine implements TextEngine {
  jobs = 0;
  readonly largestImage = null;
  private dead = false;
  private readonly calls = new PendingCalls<NativeAnswer>();
  private stderr = '';

  private constructor(
    readonly languages: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL)));
    child.on('message', (reply: NativeReply) => {
      if (!('id' in reply)) return;
      if (!('error' in reply)) this.calls.settle(reply.id, { value: reply });
      else if (reply.unreadable) this.calls.settle(reply.id, { error: new DocumentError(ErrorCode.CORRUPT_FILE, 'The OCR engine cannot read the image.') });
      else this.calls.settle(reply.id, { error: new AppError(ErrorCode.INTERNAL, `OCR engine failed: ${reply.error}`) });
    });
    // A message or an image that can no longer be sent: the process is going or gone, and its 'exit' follows.
    child.on('error', () => undefined);
    child.stdio[IMAGE_FD]?.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      const stderr = this.stderr.trim().slice(-300);
      this.die(new AppError(ErrorCode.INTERNAL, `OCR engine exited (${signal ?? `exit ${code}`})${stderr ? `: ${stderr}` : ''}`));
    });
  }

  /**
   * Starts the process and resolves once it has loaded the model.
   *
   * @throws AppError INTERNAL when the library or the data of a language (of
   *   `languages` or `installed`) is missing,
   *   or the process does not come up within `createTimeoutMs`.
   */
  static async create(config: NativeEngineConfig): Promise<NativeEngine> {
    const child = fork(processFile(), [config.languages.join('+'), String(config.psm), config.purpose, config.installed.join('+')], {
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      // gc(): the process's own JavaScript is the image buffers it takes in, freed after each page (see native-engine.process.ts).
      execArgv: ['--expose-gc'],
      // Replies on the IPC channel; images on a pipe of their own (see native-engine.process.ts).
      stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'],
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const failed = (why: string) => reject(new AppError(ErrorCode.INTERNAL, `OCR engine failed to start: ${why}`));
        child.once('message', (reply: NativeReply) => ('ready' in reply && reply.ready ? resolve() : failed('error' in reply ? reply.error : 'no answer')));
        child.once('error', (error) => failed(error.message));
        child.once('exit', (code, signal) => failed(`its process exited (${signal ?? `exit ${code}`})`));
        timer = setTimeout(() => reject(new AppError(ErrorCode.INTERNAL, `OCR engine did not start within ${config.createTimeoutMs} ms`)), config.createTimeoutMs);
      });
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      throw error;
    } finally {
      clearTimeout(timer);
      child.removeAllListeners();
    }
    return new NativeEngine(config.languages.join('+'), child);
  }

  get alive(): boolean {
    return !this.dead;
  }

  async recognize(image: Buffer): Promise<RecognizedText> {
    const answer = await this.call(image);
    if (!('tsv' in answer)) throw new AppError(ErrorCode.INTERNAL, 'This OCR engine detects orientation only');
    return parseTsv(answer.tsv);
  }

  /** Detects which way up the page is, on an engine started with `purpose: 'orientation'`. */
  async detectOrientation(image: Buffer): Promise<DetectedOrientation> {
    const answer = await this.call(image);
    if (!('orientation' in answer)) throw new AppError(ErrorCode.INTERNAL, 'This OCR engine does not detect orientation');
    return answer.orientation;
  }

  private call(image: Buffer): Promise<NativeAnswer> {
    if (this.dead) return Promise.reject(new AppError(ErrorCode.INTERNAL, 'OCR engine is not running'));
    this.jobs += 1;
    const images = this.child.stdio[IMAGE_FD] as Writable;
    return this.calls.call((id) => {
      const header = Buffer.alloc(IMAGE_HEADER_BYTES);
      header.writeUInt32LE(id, 0);
      header.writeUInt32LE(image.length, 4);
      images.write(header);
      images.write(image);
    });
  }

  /** Kills the process; the call in progress rejects with `reason`. Resolves once it has exited. */
  async terminate(reason: Error = new AppError(ErrorCode.INTERNAL, 'OCR engine terminated')): Promise<void> {
    this.die(reason);
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  private die(reason: Error): void {
    this.dead = true;
    this.calls.failAll(reason);
  }
}
