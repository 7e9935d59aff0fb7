import type { ChildProcess } from 'node:child_process';
import { eventually } from '../support/harness.js';
import { freePort, killProcess, startService, stopService } from '../support/process.js';

/** One stdout line of a service process, parsed, with the process that printed it. */
export interface LogLine {
  /** e.g. `worker-a#2`: the slot and which start of it. */
  process: string;
  line: Record<string, any>;
}

/** One start of a slot's process. */
interface Run {
  name: string;
  stdout: string[];
  output: () => string;
  /** The signal the suite sent it, as a fault. */
  signal?: string;
  /** How it ended when nobody here stopped it. */
  exit?: string;
}

/**
 * A slot for one service process of the built app (`api-a`, `worker-b`…) that
 * can be killed and started again on the same port, like a container that its
 * orchestrator restarts. Every start's standard output is kept, so the logs of
 * a process that was SIGKILLed can still be read after the run.
 */
export class ServiceSlot {
  private child?: ChildProcess & { output: () => string };
  private readonly runs: Run[] = [];
  private stopping = false;

  private constructor(
    readonly name: string,
    readonly mode: 'api' | 'worker',
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async create(name: string, mode: 'api' | 'worker', env: Record<string, string>): Promise<ServiceSlot> {
    return new ServiceSlot(name, mode, await freePort(), env);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and resolves once it answers `/health/live`. */
  async start(): Promise<void> {
    const portKey = this.mode === 'api' ? 'PORT' : 'WORKER_PORT';
    const child = startService({ ...this.env, MODE: this.mode, [portKey]: String(this.port) });
    const run: Run = { name: `${this.name}#${this.runs.length + 1}`, stdout: [], output: child.output };
    child.stdout?.on('data', (chunk: Buffer) => run.stdout.push(chunk.toString('utf8')));
    child.once('exit', (code, signal) => {
      if (!run.signal && !this.stopping) run.exit = `exited by itself: code ${code}, signal ${signal}`;
    });
    this.runs.push(run);
    this.child = child;
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`${run.name} exited with ${child.exitCode}\n${child.output()}`);
      const res = await fetch(`${this.baseUrl}/health/live`).catch(() => undefined);
      return res?.ok ? true : undefined;
    }, 90_000);
  }

  /** SIGKILL: a crash, an OOM kill. */
  async kill(): Promise<void> {
    this.runs.at(-1)!.signal = 'SIGKILL';
    await killProcess(this.child);
  }

  /** SIGTERM, as an orchestrator stops a container; resolves with the exit code. */
  async terminate(): Promise<number | null> {
    this.runs.at(-1)!.signal = 'SIGTERM';
    return this.child ? stopService(this.child) : null;
  }

  /** The current process's id, and whether it is alive. */
  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Every JSON line each start of this slot printed, in order. */
  logLines(): LogLine[] {
    return this.runs.flatMap((run) =>
      run.stdout
        .join('')
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .flatMap((text) => {
          try {
            return [{ process: run.name, line: JSON.parse(text) as Record<string, any> }];
          } catch {
            return [];
          }
        }),
    );
  }

  /** How each start of this slot ended (`SIGKILL`, `SIGTERM`, or still running: undefined). */
  endings(): Map<string, string | undefined> {
    return new Map(this.runs.map((run) => [run.name, run.signal]));
  }

  /** Starts that ended without the suite stopping them (a crash, or someone else's kill), by name. */
  unexpectedExits(): string[] {
    return this.runs.filter((run) => run.exit).map((run) => `${run.name} ${run.exit}`);
  }

  /** Warnings and errors (pino levels 40 and up) of every start, for the report. */
  problems(): LogLine[] {
    return this.logLines().filter(({ line }) => Number(line.level) >= 40);
  }

  /** Everything each start printed (stdout and stderr), by process name: to keep when a run is looked into. */
  outputs(): Map<string, string> {
    return new Map(this.runs.map((run) => [run.name, run.output()]));
  }

  /** Everything the last start printed (stdout and stderr): for failure messages. */
  output(): string {
    return this.runs.at(-1)?.output() ?? '';
  }

  /** Stops the process at the end of the run (not a fault: its ending stays unmarked). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child && this.alive) await stopService(this.child);
  }
}
