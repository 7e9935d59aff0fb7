import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import type { DetectedOrientation, RecognizedText, TextEngine } from './ocr-engine.js';
import type { OcrPageSegMode } from './ocr-types.js';
import { parseTsv } from './tsv.js';

/** The `tesseract` command the native engine runs. */
const BINARY = 'tesseract';

/** What a native engine runs with. */
export interface NativeEngineConfig {
  languages: string[];
  psm: OcrPageSegMode;
}

/**
 * Whether the `tesseract` binary is on PATH, for `OCR_ENGINE=auto`. Checked
 * once at start-up (a few milliseconds), never per page.
 */
export function nativeTesseractAvailable(): boolean {
  const result = spawnSync(BINARY, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return !result.error && result.status === 0;
}

/**
 * One slot for the native `tesseract` binary (the Debian package
 * `tesseract-ocr` with its own model, `tesseract-ocr-eng`): every recognition
 * is one process, the page on its stdin and TSV on its stdout, parsed into the
 * same structure tesseract.js gives. A process per page costs its start and
 * model load (about 0.1 s of CPU with the fast model) but keeps no memory
 * between pages, and a stuck page is stopped by killing its process.
 *
 * `OMP_THREAD_LIMIT=1`: with its default OpenMP threads Tesseract 5.3 was 5-6
 * times slower on a 2-core machine; the pool runs one process per core instead.
 */
export class NativeEngine implements TextEngine {
  jobs = 0;
  readonly largestImage = null;
  private dead = false;
  private child?: ChildProcess;

  constructor(private readonly config: NativeEngineConfig) {}

  get alive(): boolean {
    return !this.dead;
  }

  recognize(image: Buffer): Promise<RecognizedText> {
    if (this.dead) return Promise.reject(new AppError(ErrorCode.INTERNAL, 'OCR engine is not running'));
    this.jobs += 1;
    const args = ['stdin', 'stdout', '--oem', '1', '--psm', String(this.config.psm), '-l', this.config.languages.join('+'), 'tsv'];
    return new Promise<RecognizedText>((resolve, reject) => {
      const child = spawn(BINARY, args, { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
      this.child = child;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      // A process that exits before reading all of stdin (a bad image) breaks the pipe.
      child.stdin.on('error', () => undefined);
      child.on('error', (error) => reject(new AppError(ErrorCode.INTERNAL, `OCR engine failed to start: ${error.message}`)));
      child.on('close', (code, signal) => {
        this.child = undefined;
        const stderr = Buffer.concat(err).toString('utf8');
        if (code === 0) resolve(parseTsv(Buffer.concat(out).toString('utf8')));
        else if (/pixReadMem|Error in pixRead|Unsupported image type/.test(stderr)) {
          reject(new DocumentError(ErrorCode.CORRUPT_FILE, 'The OCR engine cannot read the image.'));
        } else {
          reject(new AppError(ErrorCode.INTERNAL, `OCR engine failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-300)}`));
        }
      });
      child.stdin.end(image);
    });
  }

  /** Orientation detection stays on tesseract.js's legacy core (`purpose: 'orientation'`). */
  detectOrientation(): Promise<DetectedOrientation> {
    return Promise.reject(new AppError(ErrorCode.INTERNAL, 'The native engine does not detect orientation'));
  }

  /** Kills the running process, if any; the call in progress rejects. */
  async terminate(): Promise<void> {
    this.dead = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}
