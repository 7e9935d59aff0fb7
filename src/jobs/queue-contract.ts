import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import type { AppConfig } from '../config/config.js';

/** Every queue and job name the service uses, in one place. */
export const QueueName = { OCR: 'ocr', MAINTENANCE: 'maintenance', WEBHOOK: 'webhook' } as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = { OCR_DOCUMENT: 'ocr.document', MAINTENANCE: 'maintenance.run', WEBHOOK_DELIVERY: 'webhook.delivery' } as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/**
 * The OCR job payload. It is only a pointer: the database row is the truth.
 * Versioned and parsed at the processor, because a queued job may have been
 * written by older code.
 */
export const ocrJobPayload = z.object({ v: z.literal(1), jobId: z.uuid() });
export type OcrJobPayload = z.infer<typeof ocrJobPayload>;

/** The maintenance job (retention purge), made by a job scheduler: it carries nothing but its version. */
export const maintenancePayload = z.object({ v: z.literal(1) });
export type MaintenancePayload = z.infer<typeof maintenancePayload>;

/** The one job scheduler of the maintenance queue: every worker upserts it, so there is one schedule. */
export const MAINTENANCE_SCHEDULER_ID = 'maintenance';

/** BullMQ job id for a document job: enqueueing the same job twice is a no-op. */
export function ocrQueueJobId(jobId: string): string {
  return `ocr-${jobId}`;
}

/**
 * One delivery sequence of a webhook delivery row (`webhook_deliveries`): a
 * redelivery bumps `sequence`, so it gets a queue entry of its own.
 */
export const webhookJobPayload = z.object({ v: z.literal(1), deliveryId: z.uuid(), sequence: z.number().int().positive() });
export type WebhookJobPayload = z.infer<typeof webhookJobPayload>;

/** BullMQ job id for a delivery sequence: the push and the sweep enqueueing it together add one entry. */
export function webhookQueueJobId(deliveryId: string, sequence: number): string {
  return `webhook-${deliveryId}-${sequence}`;
}

/** Retry and retention per job name; call sites never set these themselves. */
export function jobOptions(name: JobName, config: Pick<AppConfig, 'queue' | 'webhooks'>): JobsOptions {
  const { queue } = config;
  switch (name) {
    case JobName.OCR_DOCUMENT:
      return {
        attempts: queue.attempts,
        // Exponential backoff; BullMQ adds jitter so retries from a burst spread out.
        backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
        removeOnComplete: { count: queue.removeOnComplete },
        removeOnFail: { count: queue.removeOnFail },
      };
    case JobName.MAINTENANCE:
      // The next run comes within the interval; a failed one is not retried.
      return { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } };
    case JobName.WEBHOOK_DELIVERY:
      return {
        // A receiver that is down for minutes is retried for hours: 10 s doubled 7 times by default.
        attempts: config.webhooks?.attempts ?? 1,
        backoff: { type: 'exponential', delay: config.webhooks?.backoffMs ?? 0, jitter: 0.5 },
        removeOnComplete: { count: queue.removeOnComplete },
        removeOnFail: { count: queue.removeOnFail },
      };
  }
}
