/**
 * One run of an expensive check shared by every caller that asks while it is
 * in flight or within `reuseMs` after it settled, its failure included. A
 * flood of calls then costs one run per window, and a change of state (an
 * outage, a recovery) shows at most `reuseMs` after the run that saw it.
 */
export class SharedCheck<T> {
  private current?: { promise: Promise<T>; settledAt?: number };

  /** @param reuseMs how long a settled result is handed out again. */
  constructor(
    private readonly run: () => Promise<T>,
    private readonly reuseMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    const current = this.current;
    if (current && (current.settledAt === undefined || this.now() - current.settledAt < this.reuseMs)) {
      return current.promise;
    }
    const next: { promise: Promise<T>; settledAt?: number } = { promise: this.run() };
    const settle = () => {
      next.settledAt = this.now();
    };
    next.promise.then(settle, settle);
    this.current = next;
    return next.promise;
  }
}
