import { Worker } from 'node:worker_threads';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { PendingCalls } from '../common/pending-calls.js';
import { releaseFreedMemory } from '../common/release-memory.js';
import { threadFile } from '../common/thread-file.js';
import type { PageContent, ReaderOptions } from './document-types.js';
import type { ReaderReply, ReaderRequest } from './reader-protocol.js';

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
 * A document is read by one thread at a time, and the thread is kept for
 * the next while it stays small: starting a thread and loading its modules
 * took 80-110 ms of CPU, and its first page ran the layout loops cold, which
 * cost a receipt more than its decoding. A thread that read this many
 * documents, or still holds more than {@link KEEP_BELOW_BYTES} once its
 * document is closed, is ended instead, and what it allocated goes with it.
 */
const DOCUMENTS_PER_THREAD = 50;
/** V8 heap in use plus the buffers it holds, in a thread whose document is closed and collected. */
const KEEP_BELOW_BYTES = 64 * 2 ** 20;
/** Threads kept waiting for a document at most, */
const MAX_IDLE = 4;
/** and how long one waits before it ends, unless it is the last. */
const IDLE_MS = 60_000;
/** A thread that does not answer a close within this is ended. */
const CLOSE_MS = 5_000;

/** A reader's thread and how many documents it has opened. */
interface ReaderThread {
  worker: Worker;
  documents: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * An uploaded document opened in a worker thread (see {@link takeThread}),
 * yielding its pages one at a time.
 */
export class DocumentReader {
  private closed = false;
  /** The thread has ended. */
  private gone = false;
  private opened?: { mediaType: string; pageCount: number };
  private readonly calls = new PendingCalls<ReaderReply['value']>();
  private readonly detach: () => void;

  private constructor(private readonly thread: ReaderThread) {
    const { worker } = thread;
    const onMessage = (reply: ReaderReply) =>
      this.calls.settle(reply.id, reply.error ? { error: toError(reply.error) } : { value: reply.value });
    const onError = (error: Error & { code?: string }) => this.calls.failAll(threadError(error));
    const onExit = () => {
      this.gone = true;
      this.calls.failAll(new AppError(ErrorCode.INTERNAL, 'The document reader stopped'));
    };
    worker.on('message', onMessage).on('error', onError).once('exit', onExit);
    const stopWatching = watchExternalMemory(worker, () => {
      this.calls.failAll(tooComplex());
      void worker.terminate();
    });
    this.detach = () => {
      stopWatching();
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
  }

  /** The reading thread's id (a thread reads one document after another). */
  get threadId(): number {
    return this.thread.worker.threadId;
  }

  get mediaType(): string {
    return this.opened!.mediaType;
  }

  get pageCount(): number {
    return this.opened!.pageCount;
  }

  /**
   * Opens the document. Resolves once its type and page count are known.
   *
   * @throws DocumentError UNSUPPORTED_MEDIA_TYPE, CORRUPT_FILE, PASSWORD_REQUIRED,
   *   PASSWORD_INCORRECT, or DOCUMENT_TOO_COMPLEX when reading it exhausts the thread's memory.
   */
  static async open(data: Buffer, options: ReaderOptions): Promise<DocumentReader> {
    const reader = new DocumentReader(takeThread());
    try {
      // The opening is call 0.
      const opened = await reader.calls.call(() => reader.thread.worker.postMessage({ kind: 'open', data, options } satisfies ReaderRequest), 0);
      reader.opened = opened as { mediaType: string; pageCount: number };
      return reader;
    } catch (error) {
      await reader.close();
      throw error;
    }
  }

  /**
   * One page, 1-based: its text layer, or an image ready for OCR, cut at blank
   * rows into as many as `bands` bands for engines to read at once (default: whole).
   */
  page(number: number, { bands = 1 }: { bands?: number } = {}): Promise<PageContent> {
    if (this.closed || this.gone) return Promise.reject(new AppError(ErrorCode.INTERNAL, 'The document reader is closed'));
    return this.calls
      .call((id) => this.thread.worker.postMessage({ kind: 'page', id, page: number, bands } satisfies ReaderRequest))
      .then((value) => revive(value as PageContent));
  }

  /**
   * Closes the document; its thread waits for the next one, or ends (it is
   * ended at once while a page is still being read). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const kept = !this.gone && this.calls.waitingCount === 0 && (await this.closeDocument()) && (await keepable(this.thread));
    this.detach();
    this.calls.failAll(new AppError(ErrorCode.INTERNAL, 'The document reader is closed'));
    if (!kept) {
      await this.thread.worker.terminate();
      return;
    }
    putBack(this.thread);
    // What the document's buffers held went back to malloc when the thread collected them.
    releaseFreedMemory();
  }

  /** Asks the thread to let go of the document; true once it has. */
  private async closeDocument(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer')), CLOSE_MS)));
    try {
      await Promise.race([this.calls.call((id) => this.thread.worker.postMessage({ kind: 'close', id } satisfies ReaderRequest)), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Threads waiting for a document, the most recently used last. */
const idle: ReaderThread[] = [];

/** Whether a spare thread was started (see {@link takeThread}). */
let spareStarted = false;

/**
 * A waiting thread (the most recently used, whose code is warmest), or a new
 * one. The first document also starts a spare, so that the next does not
 * wait for a thread to start; after that, threads come back from their
 * documents and wait to be taken again. When a thread ends, however it ends,
 * what it freed goes back to the kernel: otherwise malloc keeps it for the process.
 */
function takeThread(): ReaderThread {
  const thread = idle.pop() ?? startThread();
  clearTimeout(thread.idleTimer);
  thread.worker.off('exit', forget).off('error', ignoreIdleError).ref();
  thread.documents += 1;
  if (!spareStarted) {
    spareStarted = true;
    wait(startThread());
  }
  return thread;
}

/** Whether a thread whose document closed may read another. */
async function keepable(thread: ReaderThread): Promise<boolean> {
  if (thread.documents >= DOCUMENTS_PER_THREAD || idle.length >= MAX_IDLE) return false;
  const heap = await thread.worker.getHeapStatistics().catch(() => undefined);
  return heap !== undefined && heap.used_heap_size + heap.external_memory < KEEP_BELOW_BYTES;
}

function putBack(thread: ReaderThread): void {
  wait(thread);
  // The last waiting thread stays: an idle service keeps one ready.
  thread.idleTimer = setTimeout(() => {
    if (idle.length > 1) void thread.worker.terminate();
  }, IDLE_MS).unref();
}

/** Waiting, a thread does not keep the process alive. */
function wait(thread: ReaderThread): void {
  thread.worker.unref();
  thread.worker.on('exit', forget).on('error', ignoreIdleError);
  idle.push(thread);
}

function forget(this: Worker): void {
  const at = idle.findIndex((thread) => thread.worker === this);
  if (at >= 0) {
    clearTimeout(idle[at]!.idleTimer);
    idle.splice(at, 1);
  }
}

/** A waiting thread that fails ends; its 'exit' forgets it. */
function ignoreIdleError(): void {}

function startThread(): ReaderThread {
  // Not `stdout: true` to drop pdf.js's notices (the thread silences them
  // itself): a thread's flowing stdout kept the process alive after the spare
  // thread was unref'd, so a script that had read a document never exited.
  const worker = new Worker(readerThreadFile(), { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
  worker.once('exit', releaseFreedMemory);
  return { worker, documents: 0 };
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
function watchExternalMemory(thread: Worker, exceeded: () => void): () => void {
  const timer = setInterval(() => {
    thread.getHeapStatistics().then(({ external_memory }) => {
      if (external_memory <= THREAD_EXTERNAL_MB * 2 ** 20 || thread.threadId === -1) return;
      clearInterval(timer);
      exceeded();
    }, () => undefined);
  }, WATCH_MS).unref();
  const stop = () => clearInterval(timer);
  thread.once('exit', stop);
  return () => {
    stop();
    thread.off('exit', stop);
  };
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
