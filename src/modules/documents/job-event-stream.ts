import { Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AppError, ErrorCode } from '../../common/app-error.js';
import { JobEventBus } from './job-event-bus.js';
import { TERMINAL_EVENTS, type JobEventView } from './job-event.js';
import { JobStateRepository, type JobEvent } from './job-state.repository.js';
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
 * committed, in order and once each, ending after the terminal event.
 * `job_events` is the source; Redis only says when to look again.
 */
@Injectable()
export class JobEventStream {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly state: JobStateRepository,
    private readonly bus: JobEventBus,
  ) {}

  /**
   * @param after the last event the client has (its `Last-Event-ID`), 0 for all.
   * @throws AppError NOT_FOUND for a job the owner cannot see.
   */
  async follow(ownerId: string | undefined, jobId: string, after: number): Promise<Observable<MessageEvent>> {
    if (!(await this.jobs.findOwned(jobId, ownerId))) throw new AppError(ErrorCode.NOT_FOUND, 'Job not found');
    return new Observable<MessageEvent>((subscriber) => {
      let last = after;
      let closed = false;
      let reading: Promise<void> = Promise.resolve();
      const readAll = async () => {
        while (!closed) {
          const batch = await this.state.eventsAfter(jobId, last, BATCH);
          for (const event of batch) {
            subscriber.next(toMessage(event));
            last = event.seq;
            if (TERMINAL_EVENTS.has(event.type)) {
              closed = true;
              subscriber.complete();
              return;
            }
          }
          if (batch.length < BATCH) return;
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
        closed = true;
        clearInterval(poll);
        clearInterval(heartbeat);
        stopFollowing?.();
      };
    });
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
