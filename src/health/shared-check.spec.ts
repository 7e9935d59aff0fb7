import { describe, expect, it } from 'vitest';
import { SharedCheck } from './shared-check.js';

describe('SharedCheck', () => {
  function counted(outcomes: Array<'up' | 'down'>) {
    let runs = 0;
    let release: () => void = () => undefined;
    const run = () => {
      const outcome = outcomes[runs++] ?? 'up';
      return new Promise<string>((resolve, reject) => {
        release = () => (outcome === 'up' ? resolve(outcome) : reject(new Error(outcome)));
      });
    };
    return { run, runs: () => runs, release: () => release() };
  }

  it('gives every caller while a run is in flight that run', async () => {
    const check = counted(['up']);
    const shared = new SharedCheck(check.run, 1_000, () => 0);
    const calls = Array.from({ length: 50 }, () => shared.get());
    check.release();
    expect(await Promise.all(calls)).toEqual(Array(50).fill('up'));
    expect(check.runs()).toBe(1);
  });

  it('hands a settled outcome, a failure too, out again only within reuseMs', async () => {
    let now = 0;
    const check = counted(['down', 'up']);
    const shared = new SharedCheck(check.run, 1_000, () => now);
    const first = shared.get();
    check.release();
    await expect(first).rejects.toThrow('down');
    now = 999;
    await expect(shared.get()).rejects.toThrow('down');
    expect(check.runs()).toBe(1);
    now = 1_000;
    const second = shared.get();
    check.release();
    await expect(second).resolves.toBe('up');
    expect(check.runs()).toBe(2);
  });
});
