/**
 * Runs `work` now and then every `intervalMs`, never two runs at once (a tick
 * that finds one under way is skipped); a failed run is reported to `onError`
 * and the next tick runs again. `stop` clears the timer and waits for a run
 * under way, so that it does not query a database that is closing.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly onError: (error: Error) => void,
  ) {}

  start(intervalMs: number): void {
    const run = () => {
      this.running ??= this.work()
        .catch(this.onError)
        .finally(() => (this.running = undefined));
    };
    run();
    this.timer = setInterval(run, intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
