import type { Job, JobResult } from './jobs.repository.js';
import type { PageResult } from './job-result.js';

/** The public shape of a job. Internal fields (owner, storage keys) never leave. */
export interface JobView {
  id: string;
  status: Job['status'];
  fileName: string | null;
  mediaType: string;
  sizeBytes: number;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: { code: string; message: string };
  links: { self: string; results: string };
}

export function jobView(job: Job): JobView {
  return {
    id: job.id,
    status: job.status,
    fileName: job.fileName,
    mediaType: job.mediaType,
    sizeBytes: job.sizeBytes,
    attempts: job.attempts,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    ...(job.errorCode && { error: { code: job.errorCode, message: job.errorMessage ?? '' } }),
    links: { self: `/jobs/${job.id}`, results: `/jobs/${job.id}/results` },
  };
}

export interface ResultView {
  id: string;
  text: string;
  pages: PageResult[];
}

export function resultView(result: JobResult): ResultView {
  return { id: result.jobId, text: result.text, pages: result.pages as unknown as PageResult[] };
}
