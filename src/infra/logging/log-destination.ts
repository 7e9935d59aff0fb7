import { pino } from 'pino';

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * Where the logs go: standard output, with the lines logged in one turn of
 * the event loop written together, in one synchronous write, once the turn is
 * over.
 *
 * pino's default wrote from libuv's thread pool one line at a time: under
 * upload load each access log line was a hand-off to a pool thread and back,
 * 4-6 % of the API's main thread (bench/upload). One write a turn costs a
 * system call, not a thread's round trip. It is synchronous because an
 * asynchronous write still in flight when the process exits could land after
 * the last lines, written synchronously then (seen in CI: the lines of an
 * earlier turn came out after the final one). Lines are never held longer
 * than the turn that logged them, so at low traffic each still appears at
 * once; what is pending when the process exits (`process.exit` included) is
 * written then.
 */
class LogDestination {
  private pending = '';
  private readonly out: SonicBoom;

  constructor() {
    this.out = pino.destination({ dest: 1, sync: true, minLength: 0 });
    process.once('exit', () => this.flushSync());
  }

  /** pino's stream interface: one serialised line, newline included. */
  write(line: string): boolean {
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending += line;
    return true;
  }

  /** Writes what is pending now, blocking; for the way out. */
  flushSync(): void {
    this.flush();
    try {
      this.out.flushSync();
    } catch {
      // Standard output is gone (a closed pipe): there is nowhere left to write.
    }
  }

  private readonly flush = (): void => {
    if (this.pending.length === 0) return;
    this.out.write(this.pending);
    this.pending = '';
  };
}

let stdout: LogDestination | undefined;

/** The process's one standard output destination (an application made twice in one process, as tests do, shares it). */
export function stdoutDestination(): LogDestination {
  return (stdout ??= new LogDestination());
}
