/**
 * The webhook events a job can send, by their public names. One list for the
 * per-job `callbackEvents` form field and the operator's `WEBHOOK_EVENTS`.
 */
export const WEBHOOK_EVENTS = ['job.succeeded', 'job.partial', 'job.failed', 'job.cancelled', 'job.page_completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Sent when nothing else is asked for: a job's end, whichever it is. Pages only when asked. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['job.succeeded', 'job.partial', 'job.failed', 'job.cancelled'];

/**
 * A comma-separated list of event names (as a form field or an env var carries
 * it), or the array a stored job's options hold. At most one of each, order kept.
 */
export function parseWebhookEvents(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))];
}
