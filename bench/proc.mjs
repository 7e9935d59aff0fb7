// A process's children as Linux's /proc shows them, for the benches that count
// what a service's child processes (the native OCR engines) use.
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name, which is in parentheses and may hold spaces: [1] is the parent's pid. */
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
