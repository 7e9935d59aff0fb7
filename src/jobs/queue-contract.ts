import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** Every queue and job name the service uses, in one place. */
export const QueueName = { OCR: 'ocr' } as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = { OCR_DOCUMENT: 'ocr.document' } as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/**
 * The OCR job payload. It is only a pointer: the database row is the truth.
 * Versioned and parsed at the processor, because a queued job may have been
 * written by older code.
 */
export const ocrJobPayload = z.object({ v: z.literal(1), jobId: z.uuid() });
export type OcrJobPayload = z.infer<typeof ocrJobPayload>;

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
  }
}
