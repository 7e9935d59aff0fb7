import { Inject, Injectable, type BeforeApplicationShutdown, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AppError, ErrorCode } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { JobEventBus } from './job-event-bus.js';
import { TERMINAL_EVENTS, type JobEventView } from './job-event.js';
import type { JobEvent } from './job-state.repository.js';
import { isFinished } from './job-status.js';
import { JobsRepository } from './jobs.repository.js';

/** Events read from the database per query. */
const BATCH = 200;
/** A follower re-reads this often even without a wake-up, covering lost notifications. */
const POLL_MS = 5_000;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * A job's events as a server-sent event stream: first every event so far
 * (a late client learns the current state), then each new one as it is
 * committed, in order and once each, ending after the terminal event
 * (the last one: a retry follows a run's terminal event with more).
 * `job_events` is the source; Redis only says when to look again.
 */
@Injectable()
export class JobEventStream implements BeforeApplicationShutdown {
  /** Open streams per subject in this process. */
  private readonly open = new Map<string, number>();
  /** Ends each open stream. */
  private readonly enders = new Set<() => void>();

  constructor(
    private readonly jobs: JobsRepository,
    private readonly bus: JobEventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * @param subject who asks; at most `QUOTA_EVENT_STREAMS` of its streams are open at once here.
   * @param ownerId whose jobs the subject may see (undefined: an admin, every one's).
   * @param after the last event the client has (its `Last-Event-ID`), 0 for all.
   * @throws AppError NOT_FOUND for a job the owner cannot see; QUOTA_EXCEEDED past the streams limit.
   */
  async follow(subject: string, ownerId: string | undefined, jobId: string, after: number): Promise<Observable<MessageEvent>> {
    if (!(await this.jobs.findOwned(jobId, ownerId))) throw new AppError(ErrorCode.NOT_FOUND, 'Job not found');
    const limit = this.config.quotas.eventStreams;
    if (limit > 0 && (this.open.get(subject) ?? 0) >= limit) {
      throw new AppError(ErrorCode.QUOTA_EXCEEDED, `At most ${limit} event streams may be open at once`, { retryAfterSeconds: 5 });
    }
    return new Observable<MessageEvent>((subscriber) => {
      this.open.set(subject, (this.open.get(subject) ?? 0) + 1);
      let last = after;
      let closed = false;
      let reading: Promise<void> = Promise.resolve();
      const end = () => {
        closed = true;
        subscriber.complete();
      };
      this.enders.add(end);
      const readAll = async () => {
        while (!closed) {
          const batch = await this.jobs.eventsAfter(jobId, last, BATCH);
          // A retried job has a terminal event for each run: the stream ends at the last one only.
          let terminal = false;
          for (const event of batch) {
            subscriber.next(toMessage(event));
            last = event.seq;
            terminal = TERMINAL_EVENTS.has(event.type);
          }
          if (batch.length === BATCH) continue;
          if (batch.length > 0 && !terminal) return; // more may come: no terminal event yet
          // Nothing after `last`: the client may already hold the terminal event, or claim a
          // Last-Event-ID past the last one. A finished job has nothing more to send, so the
          // stream ends; while the job runs it waits. An event committed since the read above
          // shows as `eventSeq > last` (a transition changes status and eventSeq together).
          const progress = await this.jobs.progress(jobId);
          if (!progress || (isFinished(progress.status) && progress.eventSeq <= last)) return end();
          if (progress.eventSeq <= last) return;
        }
      };
      // Reads never overlap, so events go out in order and once each.
      const read = () => {
        reading = reading.then(readAll).catch((error: unknown) => subscriber.error(error));
      };
      let stopFollowing: (() => void) | undefined;
      void this.bus.follow(jobId, read).then((stop) => {
        if (closed) stop();
        else stopFollowing = stop;
        read(); // after subscribing, so no event falls between the read and the first wake-up
      });
      const poll = setInterval(read, POLL_MS);
      const heartbeat = setInterval(() => subscriber.next({ comment: 'keep-alive' } as MessageEvent), HEARTBEAT_MS);
      return () => {
        const count = (this.open.get(subject) ?? 1) - 1;
        if (count > 0) this.open.set(subject, count);
        else this.open.delete(subject);
        closed = true;
        this.enders.delete(end);
        clearInterval(poll);
        clearInterval(heartbeat);
        stopFollowing?.();
      };
    });
  }

  /**
   * Shutdown: every open stream ends, before the HTTP server closes (it waits
   * for open connections, and a stream never ends by itself while its job
   * runs). An EventSource reconnects with its `Last-Event-ID` to another
   * replica and resumes after the last event it had.
   */
  beforeApplicationShutdown(): void {
    for (const end of this.enders) end();
  }
}

function toMessage(event: JobEvent): MessageEvent {
  const view: JobEventView = {
    jobId: event.jobId,
    seq: event.seq,
    type: event.type as JobEventView['type'],
    at: event.createdAt.toISOString(),
    data: event.data as Record<string, unknown>,
  };
  return { id: String(event.seq), type: event.type, data: view };
}
