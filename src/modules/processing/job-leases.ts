import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { JobEventBus } from '../../jobs/job-event-bus.js';
import { JobLifecycle } from '../../jobs/job-lifecycle.js';

/** Why a worker stopped a job before its end. */
export class JobStopped extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} is no longer this worker's to run`);
    this.name = 'JobStopped';
  }
}

/**
 * A worker's hold on one running job. `signal` aborts the moment the job
 * stops being this attempt's (a cancel, a delete, a later attempt that took it
 * over): its engines stop work on that document. `draining` turns true when
 * the worker shuts down: the job should stop at its next checkpoint and be
 * given back.
 */
export interface Lease {
  readonly signal: AbortSignal;
  readonly draining: boolean;
  release(): void;
}

/**
 * Holds running jobs' leases. A lease is renewed in the database every sixth
 * of `JOB_LEASE_MS` (the reconciler takes back a job whose lease lapsed, so a
 * dead worker's job is rerun in seconds), and checked at once whenever the job
 * has a new event: a cancel committed by an API replica wakes this worker
 * through the job's Redis channel, and a lost wake-up is caught by the next
 * renewal. Both are conditional on the attempt, so a worker whose job was
 * taken over stops too.
 */
@Injectable()
export class JobLeases {
  private readonly logger = new Logger(JobLeases.name);
  /** How to drain each lease held now. */
  private readonly drains = new Set<() => void>();

  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly bus: JobEventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async hold(jobId: string, attempt: number): Promise<Lease> {
    const stop = new AbortController();
    let draining = false;
    let checking: Promise<void> | undefined;
    const check = () => {
      checking ??= this.lifecycle
        .renew(jobId, attempt)
        .then((mine) => {
          if (!mine) stop.abort(new JobStopped(jobId));
        })
        // The lease lives on until it lapses; a database back in time renews it.
        .catch((error: Error) => this.logger.warn({ jobId }, `lease not renewed: ${error.message}`))
        .finally(() => (checking = undefined));
    };
    const timer = setInterval(check, this.config.reconcile.leaseMs / 6).unref();
    const unfollow = await this.bus.follow(jobId, check);
    const drain = () => {
      draining = true;
    };
    this.drains.add(drain);
    return {
      signal: stop.signal,
      get draining() {
        return draining;
      },
      release: () => {
        clearInterval(timer);
        unfollow();
        this.drains.delete(drain);
      },
    };
  }

  /** Shutdown: every running job stops at its next checkpoint. */
  drainAll(): void {
    for (const drain of this.drains) drain();
  }
}
