import type { WebhookEvent } from '../../common/webhook-events.js';
import { JobEventType, TERMINAL_EVENTS } from '../../jobs/job-event.js';
import type { JobEvent } from '../../jobs/job-state.repository.js';
import type { Job } from '../../jobs/jobs.repository.js';

/** The job events that have a webhook, by their public names. */
const EVENT_NAMES: Partial<Record<string, WebhookEvent>> = {
  [JobEventType.SUCCEEDED]: 'job.succeeded',
  [JobEventType.PARTIAL]: 'job.partial',
  [JobEventType.FAILED]: 'job.failed',
  [JobEventType.CANCELLED]: 'job.cancelled',
  [JobEventType.PAGE_COMPLETED]: 'job.page_completed',
};

/** The job event types some webhook may be sent for. */
export const WEBHOOK_JOB_EVENTS = Object.keys(EVENT_NAMES);

export function webhookEventName(type: string): WebhookEvent | undefined {
  return EVENT_NAMES[type];
}

/**
 * The JSON body of one event's webhook, in the Standard Webhooks shape
 * (`type`, `timestamp`, `data`). Built once, when the delivery is created, and
 * stored: every attempt and redelivery sends the same bytes. A final event
 * carries the job as it ended (its row changes no more); a page event carries
 * the page and the progress at that page.
 */
export function webhookBody(job: Job, event: JobEvent): string {
  const type = webhookEventName(event.type);
  if (!type) throw new Error(`job event ${event.type} has no webhook`);
  const links = {
    self: `/jobs/${job.id}`,
    results: `/jobs/${job.id}/results`,
    events: `/jobs/${job.id}/events`,
    webhooks: `/jobs/${job.id}/webhooks`,
  };
  const common = { jobId: job.id, seq: event.seq };
  if (TERMINAL_EVENTS.has(event.type)) {
    return JSON.stringify({
      type,
      timestamp: event.createdAt.toISOString(),
      data: {
        ...common,
        status: job.status,
        pages: { total: job.pagesTotal, done: job.pagesDone, failed: job.pagesFailed },
        ...(job.errorCode && { error: { code: job.errorCode, message: job.errorMessage ?? '' } }),
        finishedAt: job.finishedAt?.toISOString() ?? null,
        links,
      },
    });
  }
  const { page, status, error, done, failed, total } = event.data as Record<string, unknown>;
  return JSON.stringify({
    type,
    timestamp: event.createdAt.toISOString(),
    data: {
      ...common,
      status: 'RUNNING',
      page: { number: page, status, ...(error !== undefined && { error }) },
      pages: { total: total ?? null, done, failed },
      links,
    },
  });
}
