import { EventEmitter } from 'node:events';
import { Injectable, Logger } from '@nestjs/common';
import type { JobEvent } from '../generated/prisma/client.js';
import type { Extraction } from '../fields/extraction.js';
import { documentText, type JobArtifact, type PageOutcome } from './job-result.js';
import { JobEventBus } from './job-event-bus.js';
import { JobEventType, TERMINAL_EVENTS } from './job-event.js';
import { JobStateRepository, type JobPage, type Transition } from './job-state.repository.js';
import type { Job, NewJob } from './jobs.repository.js';

/** What the lifecycle tells its listeners (metrics, webhooks), after the transition is committed. */
export interface LifecycleEvents {
  /** A worker took the job (`RUNNING`), its attempt counted. */
  started: [job: Job];
  /** A page of the job was checkpointed (its `page.completed` event committed). */
  pageCompleted: [jobId: string];
  /** The job reached a terminal status: which job, and the terminal event's type. */
  finished: [event: { jobId: string; type: string }];
}

/**
 * The only writer of a job's status:
 * `QUEUED → RUNNING → SUCCEEDED | PARTIAL | FAILED | CANCELLED`.
 *
 * Every transition is a conditional update on the status it expects, in one
 * transaction with the job event it emits; it reports whether it happened (a
 * late `finish` after the job was failed elsewhere changes nothing and says so
 * in the log). Followers are woken after the commit. SSE, and later webhooks,
 * read those events; listeners of {@link events} (metrics, when enabled) count
 * the transitions; nothing else writes `status`. The lifecycle knows none of
 * its listeners, so the jobs core depends on no feature.
 */
@Injectable()
export class JobLifecycle {
  private readonly logger = new Logger(JobLifecycle.name);
  readonly events = new EventEmitter<LifecycleEvents>();

  constructor(
    private readonly state: JobStateRepository,
    private readonly bus: JobEventBus,
  ) {}

  /** A new job, `QUEUED`, with its `queued` event; null when its owner has `maxUnfinished` already. */
  create(job: NewJob, maxUnfinished = 0): Promise<Job | null> {
    return this.state.create(job, maxUnfinished);
  }

  /**
   * `QUEUED → RUNNING`, counting the attempt. A job already `RUNNING` is taken
   * too: at-least-once delivery brings back the attempt of a worker that died.
   * Returns the job as it now is, or null when it is finished or gone.
   */
  async start(id: string): Promise<Job | null> {
    const moved = await this.apply(id, {
      from: ['QUEUED', 'RUNNING'],
      data: { status: 'RUNNING', attempts: { increment: 1 }, startedAt: new Date() },
      event: { type: JobEventType.STARTED },
    });
    const job = moved ? await this.state.job(id) : null;
    if (job) this.events.emit('started', job);
    return job;
  }

  /** Records how many pages the running job will process (no event: the next page carries it). */
  async plan(id: string, pagesTotal: number): Promise<boolean> {
    return this.state.setPagesTotal(id, pagesTotal);
  }

  /** Checkpoints a page and emits `page.completed`; false when the job stopped running. */
  async completePage(id: string, page: PageOutcome): Promise<boolean> {
    const event = await this.state.recordPage(id, page);
    const applied = await this.published(id, event, JobEventType.PAGE_COMPLETED);
    if (applied) this.events.emit('pageCompleted', id);
    return applied;
  }

  /**
   * `RUNNING → SUCCEEDED`, or `PARTIAL` when some pages failed, or `FAILED`
   * (with the first page's code) when all did. Stores the document's text,
   * the fields `extract` finds in its pages when the job named a schema, and
   * the record of the files `write` made from them (the job's outputs).
   */
  async finish(
    id: string,
    { extract, write }: { extract?: (pages: JobPage[]) => Promise<Extraction>; write?: (pages: JobPage[]) => Promise<JobArtifact[]> } = {},
  ): Promise<boolean> {
    const pages = await this.state.pages(id);
    const failed = pages.filter((page) => page.status === 'FAILED');
    const first = failed[0];
    if (first && failed.length === pages.length) {
      return this.fail(id, first.errorCode ?? 'INTERNAL', `Every page failed; page ${first.number}: ${first.errorMessage}`, ['RUNNING']);
    }
    const partial = failed.length > 0;
    const text = documentText(pages.map((page) => (page.result as { text?: string } | null) ?? {}));
    return this.apply(id, {
      from: ['RUNNING'],
      data: { status: partial ? 'PARTIAL' : 'SUCCEEDED', finishedAt: new Date(), errorCode: null, errorMessage: null, password: null },
      event: {
        type: partial ? JobEventType.PARTIAL : JobEventType.SUCCEEDED,
        data: { pages: { total: pages.length, done: pages.length - failed.length, failed: failed.length } },
      },
      result: { text, fields: await extract?.(pages), artifacts: await write?.(pages) },
    });
  }

  /** Replaces a finished job's fields (re-extraction); no status changes, so no event. */
  storeFields(id: string, fields: Extraction): Promise<void> {
    return this.state.storeFields(id, fields);
  }

  /** `QUEUED | RUNNING → FAILED` with a stable code. */
  async fail(id: string, code: string, message: string, from: Transition['from'] = ['QUEUED', 'RUNNING']): Promise<boolean> {
    return this.apply(id, {
      from,
      data: { status: 'FAILED', finishedAt: new Date(), errorCode: code, errorMessage: message, password: null },
      event: { type: JobEventType.FAILED, data: { error: { code, message } } },
    });
  }

  /**
   * `QUEUED | RUNNING → CANCELLED`, the password dropped. A worker running it
   * stops at its next page: storing a page is conditional on `RUNNING`, so
   * nothing is written after this.
   */
  async cancel(id: string): Promise<boolean> {
    return this.apply(id, {
      from: ['QUEUED', 'RUNNING'],
      data: { status: 'CANCELLED', finishedAt: new Date(), password: null },
      event: { type: JobEventType.CANCELLED },
    });
  }

  /**
   * Renews the lease of a job run by its `attempt` (the attempts count `start`
   * returned): the reconciler takes back a running job whose lease lapsed.
   * False when the job is no longer this attempt's to run: cancelled, deleted,
   * finished, or taken over by a later attempt.
   */
  renew(id: string, attempt: number): Promise<boolean> {
    return this.state.renew(id, attempt);
  }

  /**
   * `RUNNING → QUEUED` for a job its worker gives back on shutdown, its stored
   * pages kept and its attempt not counted.
   */
  async release(id: string, attempt: number): Promise<boolean> {
    return this.apply(id, {
      from: ['RUNNING'],
      where: { attempts: attempt },
      data: { status: 'QUEUED', attempts: { decrement: 1 } },
      event: { type: JobEventType.QUEUED, data: { reason: 'worker shut down' } },
    });
  }

  /**
   * `FAILED | PARTIAL → QUEUED`, with a `queued` event (reason `retry`): the
   * next run keeps the succeeded pages and recognises the failed ones again.
   * `password` is stored as `create` stores it. `'status'` when the job is
   * not FAILED or PARTIAL, `'quota'` when its owner has `maxUnfinished`
   * unfinished jobs already (0: no limit). The caller enqueues it.
   */
  async retry(id: string, password: string | null, maxUnfinished = 0): Promise<'retried' | 'status' | 'quota'> {
    const outcome = await this.state.retry(id, { password, maxUnfinished });
    if (typeof outcome === 'string') return outcome;
    await this.published(id, outcome, JobEventType.QUEUED);
    return 'retried';
  }

  /** `RUNNING → QUEUED` for a job whose worker was lost, unless it moved since `staleBefore`. */
  async requeue(id: string, staleBefore: Date): Promise<boolean> {
    return this.apply(id, {
      from: ['RUNNING'],
      where: { updatedAt: { lt: staleBefore } },
      data: { status: 'QUEUED' },
      event: { type: JobEventType.QUEUED, data: { reason: 'worker lost' } },
    });
  }

  private async apply(id: string, transition: Transition): Promise<boolean> {
    const event = await this.state.transition(id, transition);
    const applied = await this.published(id, event, transition.event.type);
    if (applied && TERMINAL_EVENTS.has(transition.event.type)) this.events.emit('finished', { jobId: id, type: transition.event.type });
    return applied;
  }

  private async published(id: string, event: JobEvent | null, type: string): Promise<boolean> {
    if (!event) {
      this.logger.log({ jobId: id, event: type }, 'transition not applied: the job is not in the status it expects');
      return false;
    }
    await this.bus.notify(id);
    return true;
  }
}
