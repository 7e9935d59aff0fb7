import type { Extraction } from '../../extract/extraction.js';
import type { PageSource, PageText } from '../../jobs/job-result.js';
import type { Job, JobWithResult } from '../../jobs/jobs.repository.js';

/** The public shape of a job. Internal fields (owner, storage keys, password) never leave. */
export interface JobView {
  id: string;
  status: Job['status'];
  fileName: string | null;
  mediaType: string;
  sizeBytes: number;
  attempts: number;
  /** Progress: pages stored so far (`done` succeeded, `failed`) of `total`, null until the document is opened. */
  pages: { total: number | null; done: number; failed: number };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error?: { code: string; message: string };
  links: { self: string; results: string; events: string };
}

export function jobView(job: Job): JobView {
  return {
    id: job.id,
    status: job.status,
    fileName: job.fileName,
    mediaType: job.mediaType,
    sizeBytes: job.sizeBytes,
    attempts: job.attempts,
    pages: { total: job.pagesTotal, done: job.pagesDone, failed: job.pagesFailed },
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    ...(job.errorCode && { error: { code: job.errorCode, message: job.errorMessage ?? '' } }),
    links: { self: `/jobs/${job.id}`, results: `/jobs/${job.id}/results`, events: `/jobs/${job.id}/events` },
  };
}

/** A page of the results: its text with lines, words and boxes, or why it failed. */
export type PageView =
  | ({ number: number; source: PageSource; rotation: number } & PageText)
  | { number: number; error: { code: string; message: string } };

export interface ResultView {
  id: string;
  status: Job['status'];
  text: string;
  /** The fields of the schema the job named (or was re-extracted with); null when none. */
  fields: Extraction | null;
  pages: PageView[];
}

export function resultView(job: JobWithResult): ResultView {
  return {
    id: job.id,
    status: job.status,
    text: job.result?.text ?? '',
    fields: (job.result?.fields as unknown as Extraction | null | undefined) ?? null,
    pages: job.pages.map((page): PageView => {
      if (page.status === 'FAILED') {
        return { number: page.number, error: { code: page.errorCode ?? 'INTERNAL', message: page.errorMessage ?? '' } };
      }
      // Pages stored before sources were recorded carry their own number; ours wins.
      const { number: _legacy, ...text } = page.result as unknown as PageText & { number?: number };
      return { number: page.number, source: page.source as PageSource, rotation: page.rotation, ...text };
    }),
  };
}
