/** The events of a job's life, in the order they can happen. */
export const JobEventType = {
  QUEUED: 'queued',
  STARTED: 'started',
  PAGE_COMPLETED: 'page.completed',
  SUCCEEDED: 'succeeded',
  PARTIAL: 'partial',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
} as const;
export type JobEventType = (typeof JobEventType)[keyof typeof JobEventType];

/** After one of these a job has no further events. */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  JobEventType.SUCCEEDED,
  JobEventType.PARTIAL,
  JobEventType.FAILED,
  JobEventType.CANCELLED,
]);

/** One event as stored in `job_events` and sent to clients. */
export interface JobEventView {
  jobId: string;
  /** 1, 2, 3… per job: the order events happened in, and the SSE event id. */
  seq: number;
  type: JobEventType;
  at: string;
  data: Record<string, unknown>;
}
