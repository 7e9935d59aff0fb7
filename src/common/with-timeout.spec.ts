import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('gives the work’s value or error when it settles first', async () => {
    await expect(withTimeout(Promise.resolve('done'), 1_000, () => 'late')).resolves.toBe('done');
    await expect(withTimeout(Promise.reject(new Error('failed')), 1_000, () => 'late')).rejects.toThrow('failed');
  });

  it('gives what `late` returns, or throws, once the time is up, and ignores the work settling afterwards', async () => {
    const slow = sleep(200).then(() => 'done');
    await expect(withTimeout(slow, 10, () => 'late')).resolves.toBe('late');
    const failingLater = sleep(200).then(() => Promise.reject(new Error('too late to matter')));
    await expect(withTimeout(failingLater, 10, () => { throw new Error('timed out'); })).rejects.toThrow('timed out');
    await failingLater.catch(() => undefined);
  });

  it('leaves no timer behind once the work settles', async () => {
    vi.useFakeTimers();
    try {
      await expect(withTimeout(Promise.resolve('done'), 5_000, () => 'late')).resolves.toBe('done');
      await expect(withTimeout(Promise.reject(new Error('failed')), 5_000, () => 'late')).rejects.toThrow('failed');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
