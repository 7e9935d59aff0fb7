import { readFile } from 'node:fs/promises';

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
