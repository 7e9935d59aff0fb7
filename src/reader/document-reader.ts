import { Worker } from 'node:worker_threads';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { PendingCalls } from '../common/pending-calls.js';
import { releaseFreedMemory } from '../common/release-memory.js';
import { threadFile } from '../common/thread-file.js';
import type { PageContent, ReaderOptions } from './document-types.js';
import type { ReaderOpen, ReaderReply, ReaderRequest } from './reader-protocol.js';

/**
 * V8 heap the reader's thread may use. pdf.js keeps its parsed objects there;
 * a PDF built to exhaust it ends the thread (and fails the job), not the process.
 */
const THREAD_HEAP_MB = 512;
/**
 * The cap on what the thread holds outside its heap, which the heap cap does
 * not bound: the ArrayBuffers of a decompressed stream or a decoded image.
 * pdf.js keeps a stream's whole decoded bytes and doubles its buffer as it
 * grows, so a 1 MB PDF whose content is a 1 GiB flate stream took the
 * process to 2.6 GB. A legitimate page stays far below it (the largest
 * rendered page, MAX_PAGE_PIXELS of RGBA, is 140 MB).
 */
const THREAD_EXTERNAL_MB = 512;
/** How often the thread's external memory is looked at while it reads. */
const WATCH_MS = 100;

/**
 * An uploaded document opened in a worker thread of its own, yielding its
 * pages one at a time. One thread per document: closing it returns
 * everything that reading allocated, which a long-lived process could not
 * otherwise count on. Starting a thread and loading its modules takes
 * 80-110 ms, so the next document's thread is started as soon as one is
 * taken, and waits unreferenced (it does not keep the process alive).
 */
export class DocumentReader {
  private closed = false;

  private constructor(
    private readonly thread: Worker,
    private readonly calls: PendingCalls<ReaderReply['value']>,
    readonly mediaType: string,
    readonly pageCount: number,
  ) {
    thread.once('exit', () => (this.closed = true));
  }

  /**
   * Opens the document. Resolves once its type and page count are known.
   *
   * @throws DocumentError UNSUPPORTED_MEDIA_TYPE, CORRUPT_FILE, PASSWORD_REQUIRED,
   *   PASSWORD_INCORRECT, or DOCUMENT_TOO_COMPLEX when reading it exhausts the thread's memory.
   */
  static open(data: Buffer, options: ReaderOptions): Promise<DocumentReader> {
    const thread = takeThread();
    const calls = new PendingCalls<ReaderReply['value']>();
    thread.on('message', (reply: ReaderReply) =>
      calls.settle(reply.id, reply.error ? { error: toError(reply.error) } : { value: reply.value }),
    );
    thread.on('error', (error: Error & { code?: string }) => calls.failAll(threadError(error)));
    watchExternalMemory(thread, () => {
      calls.failAll(tooComplex());
      void thread.terminate();
    });
    thread.on('exit', () => calls.failAll(new AppError(ErrorCode.INTERNAL, 'The document reader stopped')));
    // The opening is call 0; the thread answers it once it knows the type and page count.
    return calls.call(() => thread.postMessage({ data, options } satisfies ReaderOpen), 0).then(
      (value) => {
        const { mediaType, pageCount } = value as { mediaType: string; pageCount: number };
        return new DocumentReader(thread, calls, mediaType, pageCount);
      },
      (error: unknown) => {
        void thread.terminate();
        throw error;
      },
    );
  }

  /**
   * One page, 1-based: its text layer, or an image ready for OCR, cut at blank
   * rows into as many as `bands` bands for engines to read at once (default: whole).
   */
  page(number: number, { bands = 1 }: { bands?: number } = {}): Promise<PageContent> {
    if (this.closed) return Promise.reject(new AppError(ErrorCode.INTERNAL, 'The document reader is closed'));
    return this.calls
      .call((id) => this.thread.postMessage({ id, page: number, bands } satisfies ReaderRequest))
      .then((value) => revive(value as PageContent));
  }

  /** Ends the thread and everything it holds. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.thread.terminate();
  }
}

let spare: Worker | undefined;

/**
 * The spare thread (a new one when there is none), and a new spare for the
 * next document. When the thread ends, however it ends, what it freed goes
 * back to the kernel: otherwise malloc keeps it for the process.
 */
function takeThread(): Worker {
  const thread = spare ?? startThread();
  thread.off('exit', forgetSpare).off('error', ignoreSpareError).ref();
  thread.once('exit', releaseFreedMemory);
  const next = startThread();
  next.unref();
  next.on('exit', forgetSpare).on('error', ignoreSpareError);
  spare = next;
  return thread;
}

function forgetSpare(this: Worker): void {
  if (spare === this) spare = undefined;
}

/** A spare that fails to start ends; its 'exit' forgets it and the next document starts its own. */
function ignoreSpareError(): void {}

function startThread(): Worker {
  // Not `stdout: true` to drop pdf.js's notices (the thread silences them
  // itself): a thread's flowing stdout kept the process alive after the spare
  // thread was unref'd, so a script that had read a document never exited.
  return new Worker(readerThreadFile(), { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
}

/** The thread's entry file. */
export function readerThreadFile(): URL {
  return threadFile(new URL('./reader.worker.js', import.meta.url));
}

function toError(error: NonNullable<ReaderReply['error']>): Error {
  return error.document ? new DocumentError(error.code as ErrorCode, error.message) : new AppError(error.code as ErrorCode, error.message);
}

/**
 * Calls `exceeded` once when the thread's external memory passes the cap. The
 * statistics are taken by interrupting the thread, so a thread busy decoding
 * answers too.
 */
function watchExternalMemory(thread: Worker, exceeded: () => void): void {
  const timer = setInterval(() => {
    thread.getHeapStatistics().then(({ external_memory }) => {
      if (external_memory <= THREAD_EXTERNAL_MB * 2 ** 20 || thread.threadId === -1) return;
      clearInterval(timer);
      exceeded();
    }, () => undefined);
  }, WATCH_MS).unref();
  thread.once('exit', () => clearInterval(timer));
}

function tooComplex(): DocumentError {
  return new DocumentError(ErrorCode.DOCUMENT_TOO_COMPLEX, 'Reading the document needed more memory than is allowed.');
}

function threadError(error: Error & { code?: string }): Error {
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') return tooComplex();
  return new AppError(ErrorCode.INTERNAL, `The document reader failed: ${error.message}`);
}

/** Buffers cross the thread boundary as plain Uint8Arrays. */
function revive(page: PageContent): PageContent {
  if (page.kind !== 'image' || !page.image) return page;
  const image = page.image as Uint8Array;
  return { ...page, image: Buffer.from(image.buffer, image.byteOffset, image.byteLength) };
}
