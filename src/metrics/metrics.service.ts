import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from '../common/with-timeout.js';
import { onAnswered, type AnsweredRequest } from '../infra/logging/request-log.js';
import { QueueName } from '../jobs/queue-contract.js';
import { JobLifecycle } from '../jobs/job-lifecycle.js';
import type { PageOutcome } from '../jobs/job-result.js';
import type { Job } from '../jobs/jobs.repository.js';
import type { RecycleReason } from '../ocr/ocr-types.js';

const PREFIX = 'ocrflow_';

/** Queue states reported; `completed` is left out, as the database keeps every finished job. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * How long a scrape waits for the queue counts. The queue's connection waits
 * for Redis rather than failing (a worker must not fail mid-job), so without
 * this a scrape would hang for as long as Redis is away.
 */
const QUEUE_READ_TIMEOUT_MS = 1_000;

/**
 * The process's Prometheus registry and every ocrflow metric family. One
 * registry per application, never prom-client's global one: tests run several
 * applications in one process, and each must count only its own work.
 * Loaded only with `ENABLE_METRICS`; the code it observes takes it as optional.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  private readonly requests = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests by method, matched route pattern (unmatched: no route) and status code, until the response was sent.',
    labelNames: ['method', 'route', 'status_code'],
    // Up to minutes: an event stream stays open until its job ends.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  private readonly wait = new Histogram({
    name: `${PREFIX}job_wait_seconds`,
    help: "Time from a job's upload to a worker starting its first attempt.",
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  private readonly stages = new Histogram({
    name: `${PREFIX}pipeline_stage_duration_seconds`,
    help:
      'Time spent in a stage of the pipeline: open (per document), then per page read, orientation ' +
      '(runs alongside ocr, which includes it), ocr and save; failed is the time until a page failed.',
    labelNames: ['stage'],
    // OCR_TIMEOUT_MS defaults to 120 s.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });

  private readonly pages = new Counter({
    name: `${PREFIX}pages_total`,
    help: 'Pages processed, by status (succeeded, failed) and source (text-layer, ocr, mixed; none for a failed page).',
    labelNames: ['source', 'status'],
    registers: [this.registry],
  });

  private readonly recycles = new Counter({
    name: `${PREFIX}ocr_engine_recycles_total`,
    help:
      'OCR engines replaced, by pool (text, orientation) and reason: jobs (OCR_RECYCLE_AFTER), pixels ' +
      '(OCR_RECYCLE_ABOVE_PIXELS), rss (OCR_RECYCLE_RSS_MB), timeout, aborted, failure, died.',
    labelNames: ['pool', 'reason'],
    registers: [this.registry],
  });

  private readonly finished = new Counter({
    name: `${PREFIX}jobs_finished_total`,
    help: 'Jobs that reached a final status (succeeded, partial, failed, cancelled), counted by the process that moved them.',
    labelNames: ['status'],
    registers: [this.registry],
  });

  private readonly webhookCreatedTotal = new Counter({
    name: `${PREFIX}webhook_deliveries_created_total`,
    help: 'Webhook deliveries created (one per job event and url), by event.',
    labelNames: ['event'],
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: `${PREFIX}webhook_deliveries_total`,
    help: 'Webhook deliveries that ended, by event and outcome: delivered (a 2xx) or failed (attempts used up, or a non-public address).',
    labelNames: ['event', 'outcome'],
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Histogram({
    name: `${PREFIX}webhook_attempt_duration_seconds`,
    help: 'Webhook HTTP attempts by result (success, http_error, network_error, timeout, forbidden), until the answer or the failure.',
    labelNames: ['result'],
    // WEBHOOK_TIMEOUT_MS defaults to 10 s.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly webhookSweeps = new Counter({
    name: `${PREFIX}webhook_outbox_recovered_total`,
    help: 'Webhook deliveries the sweep had to catch up on: created (a push was lost, e.g. a worker died) or requeued (Redis lost the entry).',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor(
    @InjectQueue(QueueName.OCR) queue: Queue,
    @InjectQueue(QueueName.WEBHOOK) webhookQueue: Queue,
    private readonly adapterHost: HttpAdapterHost,
    private readonly lifecycle: JobLifecycle,
  ) {
    const depth = new Gauge({
      name: `${PREFIX}queue_jobs`,
      help: 'Entries on the ocr queue by state (waiting, active, delayed, failed), read at each scrape; absent while Redis does not answer.',
      labelNames: ['state'],
      registers: [this.registry],
      collect: async () => {
        depth.reset();
        const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES).catch(() => undefined), QUEUE_READ_TIMEOUT_MS, () => undefined);
        if (!counts) return;
        for (const state of QUEUE_STATES) depth.set({ state }, counts[state] ?? 0);
      },
    });
    const webhookDepth = new Gauge({
      name: `${PREFIX}webhook_queue_jobs`,
      help: 'Entries on the webhook queue by state (waiting, active, delayed: retries in backoff, failed), read at each scrape.',
      labelNames: ['state'],
      registers: [this.registry],
      collect: async () => {
        webhookDepth.reset();
        const read = webhookQueue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
        const counts = await withTimeout(read, QUEUE_READ_TIMEOUT_MS, () => undefined);
        if (!counts) return;
        for (const state of QUEUE_STATES) webhookDepth.set({ state }, counts[state] ?? 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** Times every answered request; hooks added before Fastify is ready apply to every route. */
  onModuleInit(): void {
    onAnswered(this.adapterHost.httpAdapter.getInstance(), (answered) => this.requestAnswered(answered));
    this.lifecycle.events.on('started', (job) => this.jobStarted(job));
    this.lifecycle.events.on('finished', ({ type }) => this.jobFinished(type));
  }

  /** The exposition text for a scrape. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** A job went RUNNING; only a first attempt measures the wait after upload. */
  private jobStarted(job: Pick<Job, 'createdAt' | 'startedAt' | 'attempts'>): void {
    if (job.attempts !== 1 || !job.startedAt) return;
    this.wait.observe(Math.max(0, job.startedAt.getTime() - job.createdAt.getTime()) / 1000);
  }

  /** A job's final event (`succeeded`, `partial`, `failed`, `cancelled`). */
  private jobFinished(status: string): void {
    this.finished.inc({ status });
  }

  documentOpened(ms: number): void {
    this.stages.observe({ stage: 'open' }, ms / 1000);
  }

  /** A page's outcome and stage timings, with the time its checkpoint took. */
  pageProcessed(outcome: PageOutcome, saveMs: number): void {
    for (const [stage, ms] of Object.entries({ ...outcome.timings, save: saveMs })) this.stages.observe({ stage }, ms / 1000);
    const source = outcome.status === 'SUCCEEDED' ? outcome.source : 'none';
    this.pages.inc({ source, status: outcome.status.toLowerCase() });
  }

  webhookCreated(event: string): void {
    this.webhookCreatedTotal.inc({ event });
  }

  webhookAttempt(result: string, ms: number): void {
    this.webhookAttempts.observe({ result }, ms / 1000);
  }

  webhookFinished(event: string, outcome: 'delivered' | 'failed'): void {
    this.webhookDeliveries.inc({ event, outcome });
  }

  /** What a sweep caught up on; non-zero means pushes or queue entries were lost. */
  webhookSwept({ created, requeued }: { created: number; requeued: number }): void {
    this.webhookSweeps.inc({ kind: 'created' }, created);
    this.webhookSweeps.inc({ kind: 'requeued' }, requeued);
  }

  engineRecycled(pool: 'text' | 'orientation', reason: RecycleReason): void {
    this.recycles.inc({ pool, reason });
  }

  private requestAnswered({ method, route, statusCode, durationMs }: AnsweredRequest): void {
    this.requests.observe({ method, route: route ?? 'unmatched', status_code: statusCode }, durationMs / 1000);
  }
}
