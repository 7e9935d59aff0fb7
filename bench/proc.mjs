// A process's children, and the memory a group of processes holds, as Linux's
// /proc shows them, for the benches that count what a service's child
// processes (the native OCR engines) use.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat (`pid` may be `<pid>/task/<tid>`, one
 * thread's) after the command name, which is in parentheses and may hold
 * spaces: [1] is the parent's pid.
 */
export function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
}

/** Pids of `pid`'s running children, and of theirs. */
export function descendants(pid) {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return Number(statFields(entry)[1]) === pid;
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * User and system CPU seconds of `pid` and everything under it: its own
 * (unless `own` is false), its ended children's (its stat's cutime and
 * cstime, once they were waited for) and each running descendant's with its
 * own ended children (the native OCR engines), the last two also apart as
 * `under`. Clock ticks, USER_HZ = 100.
 */
export function treeCpu(pid, { own = true } = {}) {
  const under = { user: 0, system: 0 };
  let self = { user: 0, system: 0 };
  for (const each of [pid, ...descendants(pid)]) {
    try {
      const f = statFields(each);
      const running = { user: Number(f[11]) / 100, system: Number(f[12]) / 100 };
      if (each === pid) self = running;
      else [under.user, under.system] = [under.user + running.user, under.system + running.system];
      [under.user, under.system] = [under.user + Number(f[13]) / 100, under.system + Number(f[14]) / 100];
    } catch {} // ended meanwhile: its parent's stat counts it
  }
  return own ? { user: self.user + under.user, system: self.system + under.system, under } : { ...under, under };
}

const PAGE = 4096;
const PRESENT = 1n << 63n;
const PFN = (1n << 55n) - 1n;

/**
 * Bytes of memory a group of processes holds, each page counted once: their
 * anonymous memory (private to each, from smaps), plus every distinct physical
 * page of the files they map (from pagemap, which gives page frame numbers to
 * root only; undefined otherwise). Summed RSS counts the pages of the Node
 * binary and of shared libraries once per process, although the kernel keeps
 * them once, and a container's memory accounting charges them once.
 */
export function footprint(pids) {
  let anon = 0;
  const frames = new Set();
  for (const pid of pids) {
    let smaps;
    let pagemap;
    try {
      smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
      pagemap = openSync(`/proc/${pid}/pagemap`, 'r');
    } catch {
      continue; // ended meanwhile
    }
    try {
      // Each mapping: a header line `start-end perms offset dev inode path`, then `Key: n kB` lines.
      for (const mapping of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
        const [, start, end, inode] = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)/.exec(mapping) ?? [];
        const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(mapping)?.[1] ?? 0) * 1024;
        anon += kb('Anonymous');
        if (!start || inode === '0' || kb('Rss') === kb('Anonymous')) continue;
        const pages = Number((BigInt(`0x${end}`) - BigInt(`0x${start}`)) / BigInt(PAGE));
        const entries = Buffer.alloc(pages * 8);
        readSync(pagemap, entries, 0, entries.length, Number(BigInt(`0x${start}`) / BigInt(PAGE)) * 8);
        for (let i = 0; i < pages; i++) {
          const entry = entries.readBigUInt64LE(i * 8);
          // A file's page copied on write is anonymous and counted above; its frame is the copy's, so it is skipped here.
          if (entry & PRESENT && entry & (1n << 61n)) frames.add(entry & PFN);
        }
      }
    } finally {
      closeSync(pagemap);
    }
  }
  if (frames.size > 0 && frames.has(0n)) return undefined; // frame numbers hidden: not root
  return anon + frames.size * PAGE;
}
