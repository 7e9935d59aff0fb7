import { describe, expect, it } from 'vitest';
import { inOrder } from './page-pipeline.js';

/** A piece of work the test finishes by hand, recording how it was started and aborted. */
class Manual {
  readonly started: number[] = [];
  readonly aborted: number[] = [];
  private readonly pending = new Map<number, { resolve: (v: string) => void; reject: (e: unknown) => void }>();

  work = (item: number, signal: AbortSignal): Promise<string> => {
    this.started.push(item);
    return new Promise<string>((resolve, reject) => {
      this.pending.set(item, { resolve, reject });
      signal.addEventListener('abort', () => {
        if (!this.pending.delete(item)) return; // already ended
        this.aborted.push(item);
        reject(signal.reason);
      });
    });
  };

  finish(item: number): Promise<void> {
    this.pending.get(item)!.resolve(`page ${item}`);
    this.pending.delete(item);
    return tick();
  }

  fail(item: number, error: Error): Promise<void> {
    this.pending.get(item)!.reject(error);
    this.pending.delete(item);
    return tick();
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('inOrder', () => {
  it('keeps at most `limit` items in flight, starts the next as soon as any ends, and takes results in order', async () => {
    const manual = new Manual();
    const taken: string[] = [];
    const done = inOrder([1, 2, 3, 4, 5], 3, manual.work, async (r) => (taken.push(r), true));
    await tick();
    expect(manual.started).toEqual([1, 2, 3]);

    await manual.finish(3); // early: frees a slot, but waits to be taken
    expect(manual.started).toEqual([1, 2, 3, 4]);
    expect(taken).toEqual([]);

    await manual.finish(1);
    expect(taken).toEqual(['page 1']);
    expect(manual.started).toEqual([1, 2, 3, 4, 5]);

    await manual.finish(2);
    expect(taken).toEqual(['page 1', 'page 2', 'page 3']);
    await manual.finish(5);
    await manual.finish(4);
    expect(await done).toBe(true);
    expect(taken).toEqual(['page 1', 'page 2', 'page 3', 'page 4', 'page 5']);
    expect(manual.aborted).toEqual([]);
  });

  it('stops when `take` says so: nothing new starts and the items in flight are aborted', async () => {
    const manual = new Manual();
    const done = inOrder([1, 2, 3, 4], 2, manual.work, async () => false);
    await tick();
    await manual.finish(1);
    expect(await done).toBe(false);
    // Item 1's end freed a slot for item 3 before its result was refused.
    expect(manual.started).toEqual([1, 2, 3]);
    expect(manual.aborted).toEqual([2, 3]);
  });

  it('rethrows the first failure, not the aborts it caused, after aborting the rest', async () => {
    const manual = new Manual();
    const taken: string[] = [];
    const done = inOrder([1, 2, 3], 3, manual.work, async (r) => (taken.push(r), true));
    await tick();
    const broken = new Error('engine died');
    const rejected = expect(done).rejects.toBe(broken);
    await manual.fail(2, broken);
    await rejected;
    expect(manual.aborted.sort()).toEqual([1, 3]);
    expect(taken).toEqual([]);
  });

  it('stops when its signal aborts (a cancel): the items in flight are aborted and the call rejects with the reason', async () => {
    const manual = new Manual();
    const taken: string[] = [];
    const cancel = new AbortController();
    const done = inOrder([1, 2, 3, 4], 2, manual.work, async (r) => (taken.push(r), true), cancel.signal);
    await tick();
    await manual.finish(1);
    const reason = new Error('cancelled');
    const rejected = expect(done).rejects.toBe(reason);
    cancel.abort(reason);
    await rejected;
    expect(taken).toEqual(['page 1']);
    expect(manual.started).toEqual([1, 2, 3]);
    expect(manual.aborted.sort()).toEqual([2, 3]);
  });

  it('starts nothing when its signal was aborted before', async () => {
    const manual = new Manual();
    const reason = new Error('cancelled');
    await expect(inOrder([1, 2], 2, manual.work, async () => true, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(manual.started).toEqual([]);
  });
});
