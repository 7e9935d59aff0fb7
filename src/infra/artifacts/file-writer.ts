import { Worker } from 'node:worker_threads';
import { threadFile } from '../../common/thread-file.js';

export interface WriteRequest {
  id: number;
  temp: string;
  target: string;
  /** Its own memory, moved to the thread. */
  data: Uint8Array<ArrayBuffer>;
}

export interface WriteReply {
  id: number;
  error?: { code?: string; message: string };
}

/**
 * Writes files atomically (a temporary file beside the target, then a rename)
 * in one thread of its own. Through `fs/promises` a file was four thread-pool
 * calls (open, write, close, rename), each waking a thread that, on two cores,
 * preempted the event loop: ~150 µs of its time per upload. Here the writes
 * asked for in one turn of the event loop go to the thread in one message at
 * the turn's end, and come back in one: a message per upload each way was
 * still ~6 % of bench/upload's main thread. The thread (~21 MB of RSS) starts
 * on the first write and does not keep the process alive while idle; when it
 * dies the writes in flight fail and the next write starts another.
 */
export class FileWriter {
  private thread?: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  /** This turn's writes, posted together when it ends. */
  private queued: WriteRequest[] = [];
  private nextId = 0;

  write(temp: string, target: string, data: Buffer): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.queued.length === 0) setImmediate(this.post);
      // A copy of its own, moved to the thread rather than cloned: cloning a
      // Uint8Array copies its whole underlying memory (an upload is a view of a
      // larger one) once to send it and again to receive it.
      this.queued.push({ id, temp, target, data: new Uint8Array(data) });
    });
  }

  private readonly post = (): void => {
    // A write whose thread died meanwhile has been refused already.
    const batch = this.queued.filter(({ id }) => this.pending.has(id));
    this.queued = [];
    if (batch.length === 0) return;
    const thread = this.thread ?? this.start();
    thread.ref();
    thread.postMessage(batch, batch.map(({ data }) => data.buffer));
  };

  private start(): Worker {
    const thread = new Worker(threadFile(new URL('./file-writer.worker.js', import.meta.url)));
    thread.unref();
    thread.on('message', (replies: WriteReply[]) => {
      for (const { id, error } of replies) {
        const waiting = this.pending.get(id);
        this.pending.delete(id);
        if (error) waiting?.reject(Object.assign(new Error(error.message), { code: error.code }));
        else waiting?.resolve();
      }
      if (this.pending.size === 0) thread.unref();
    });
    thread.on('error', (error) => this.lost(thread, error));
    thread.on('exit', (code) => this.lost(thread, new Error(`the file writer thread exited with code ${code}`)));
    this.thread = thread;
    return thread;
  }

  private lost(thread: Worker, error: Error): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
