// The docs' own verification code, as a receiver runs it.
import { verifyWebhook } from '../../docs/examples/verify-webhook.mjs';
import { WEBHOOK_SECRET, WebhookReceiver } from '../support/webhook-receiver.js';
import type { JobRow } from './observer.js';
import type { Probe, Row } from './tally.js';

const TERMINAL = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED']);

/** What the receiver saw, job by job, against what the jobs ended as. */
export interface WebhookCount {
  received: number;
  /** Terminal jobs whose end no webhook announced. */
  missing: string[];
  /** Job events announced under two webhook ids or more: two delivery sequences for one event. */
  duplicated: string[];
  /** The same webhook id received again: a retry after a lost answer, allowed (at least once). */
  redelivered: number;
  /** Announced ends that are not what the job ended as, or signatures that do not verify. */
  wrong: string[];
}

/**
 * A real HTTP receiver given as the operator's `WEBHOOK_URL`: every job's end
 * is POSTed to it. It counts, per job, the delivery sequences it received and
 * checks each signature with the docs' verification code.
 */
export class WebhookProbe implements Probe {
  private readonly receiver = new WebhookReceiver();
  private url = '';

  async start(): Promise<void> {
    this.url = `${await this.receiver.start()}/chaos`;
  }

  /** The service's settings that send every job's end here. */
  get settings(): Record<string, string> {
    return { WEBHOOK_SECRET, WEBHOOK_URL: this.url };
  }

  count(jobs: JobRow[]): WebhookCount {
    const idsByEvent = new Map<string, Set<string>>();
    const seen = new Set<string>();
    const count: WebhookCount = { received: this.receiver.received.length, missing: [], duplicated: [], redelivered: 0, wrong: [] };
    const status = new Map(jobs.map((job) => [job.id, job.status]));
    for (const hook of this.receiver.received) {
      const id = String(hook.headers['webhook-id']);
      const { jobId, seq } = hook.json.data;
      if (seen.has(id)) count.redelivered += 1;
      seen.add(id);
      const key = `${jobId}#${seq}`;
      idsByEvent.set(key, (idsByEvent.get(key) ?? new Set()).add(id));
      // The signature is checked as received; the timestamp's age is not the point here.
      const signed = verifyWebhook(WEBHOOK_SECRET, hook.headers, hook.body, Number(hook.headers['webhook-timestamp']) * 1000);
      if (!signed || hook.json.type !== `job.${String(status.get(jobId)).toLowerCase()}`) count.wrong.push(jobId);
    }
    count.duplicated = [...idsByEvent].filter(([, ids]) => ids.size > 1).map(([key]) => key);
    const announced = new Set([...idsByEvent.keys()].map((key) => key.split('#')[0]));
    count.missing = jobs.filter((job) => TERMINAL.has(job.status) && !announced.has(job.id)).map((job) => job.id);
    return count;
  }

  rows(jobs: JobRow[]): Row[] {
    const c = this.count(jobs);
    const list = (ids: string[]) => (ids.length === 0 ? 0 : `${ids.length}: ${ids.slice(0, 3).join(', ')}`);
    return [
      { label: 'webhooks received', value: c.received },
      { label: 'terminal jobs no webhook announced', value: list(c.missing) },
      { label: 'duplicated webhooks (two sequences, one event)', value: list(c.duplicated) },
      { label: 'same webhook received again (at least once)', value: c.redelivered },
      { label: 'webhooks wrong or badly signed', value: list(c.wrong) },
    ];
  }

  stop(): Promise<void> {
    return this.receiver.stop();
  }
}
