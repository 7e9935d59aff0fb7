import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteBatcher } from './write-batcher.js';

/** A write that records its batches and answers each item doubled, after `gate` opens. */
function recorder(refuse = new Set<number>()) {
  const batches: number[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const write = async (items: number[]) => {
    batches.push(items);
    await gate;
    if (items.some((item) => refuse.has(item))) throw new Error(`refused ${items.join(',')}`);
    return items.map((item) => item * 2);
  };
  return { batches, write, open: () => open() };
}

describe('WriteBatcher', () => {
  it('sends items submitted together in one write and gives each its own result', async () => {
    const { batches, write, open } = recorder();
    const batcher = new WriteBatcher(write);
    const results = Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    open();
    expect(await results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('holds what arrives while writes are in flight for the next one, at most maxBatch at a time', async () => {
    const { batches, write, open } = recorder();
    const batcher = new WriteBatcher(write, { maxBatch: 2, concurrency: 1 });
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4, 5, 6].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]); // one write in flight: the rest wait
    open();
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8, 10, 12]);
    expect(batches).toEqual([[1], [2, 3], [4, 5], [6]]);
  });

  it('keeps one write in flight by default: what arrives meanwhile goes out together next', async () => {
    const { batches, write, open } = recorder();
    const batcher = new WriteBatcher(write);
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    open();
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('retries a failed batch item by item, so only the item at fault fails', async () => {
    const { batches, write, open } = recorder(new Set([2]));
    const batcher = new WriteBatcher(write);
    const outcomes = Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    open();
    expect((await outcomes).map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual([2, 'refused 2', 6]);
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  describe('under load', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('lets what waits when a write ends linger for more, and sends an item that finds no write in flight at once', async () => {
      vi.useFakeTimers();
      const { batches, write, open } = recorder();
      const batcher = new WriteBatcher(write, { lingerMs: 5 });
      const first = batcher.submit(1);
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1]]); // idle: no lingering

      const second = batcher.submit(2);
      open();
      expect(await first).toBe(2);
      await vi.advanceTimersByTimeAsync(4);
      const third = batcher.submit(3);
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1]]); // 2 lingers, and 3 joins it
      await vi.advanceTimersByTimeAsync(1);
      expect(batches).toEqual([[1], [2, 3]]);
      expect(await Promise.all([second, third])).toEqual([4, 6]);
    });

    it('does not linger when a full batch is waiting', async () => {
      vi.useFakeTimers();
      const { batches, write, open } = recorder();
      const batcher = new WriteBatcher(write, { maxBatch: 2, lingerMs: 1_000 });
      const first = batcher.submit(1);
      await vi.advanceTimersByTimeAsync(0);
      const rest = [2, 3].map((n) => batcher.submit(n));
      open();
      await first;
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1], [2, 3]]);
      expect(await Promise.all(rest)).toEqual([4, 6]);
    });
  });
});
