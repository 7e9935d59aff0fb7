import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** Every queue and job name the service uses, in one place. */
export const QueueName = { OCR: 'ocr', MAINTENANCE: 'maintenance' } as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = { OCR_DOCUMENT: 'ocr.document', MAINTENANCE: 'maintenance.run' } as const;
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

/** Retry and retention per job name; call sites never set these themselves. */
export function jobOptions(
  name: JobName,
  queue: { attempts: number; removeOnComplete: number; removeOnFail: number },
): JobsOptions {
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
  }
}
