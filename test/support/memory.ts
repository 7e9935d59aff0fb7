import { readFile } from 'node:fs/promises';
import { eventually } from './harness.js';

export const MB = 1024 * 1024;

/** Resident memory of a process, from the kernel's own accounting. */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** The lowest RSS over a few seconds: memory the process still holds, not what it is about to free. */
export async function settledRss(pid: number): Promise<number> {
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    low = Math.min(low, await rss(pid));
  }
  return low;
}

/**
 * The settled RSS once it is back within `margin` bytes of `idle`, waiting up
 * to 30 s for an idle process to give memory back (V8 shrinks its heap a few
 * seconds after the last work, glibc returns freed arenas when it trims).
 *
 * @throws Error naming both figures when it is not back in time.
 */
export async function backNearIdle(pid: number, idle: number, margin: number): Promise<number> {
  return eventually(async () => {
    const now = await settledRss(pid);
    return now - idle < margin ? now : undefined;
  }, 30_000).catch(async () => {
    throw new Error(`RSS idle ${Math.round(idle / MB)} MB, still ${Math.round((await rss(pid)) / MB)} MB after 30 s`);
  });
}
