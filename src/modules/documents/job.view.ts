import type { z } from 'zod';
import type { Extraction } from '../../fields/extraction.js';
import type { JobArtifact, PageSource, PageText } from '../../jobs/job-result.js';
import type { schemas } from '../../http/openapi.schemas.js';
import type { Rotation } from '../../ocr/ocr-types.js';
import type { Job, JobWithResult } from '../../jobs/jobs.repository.js';

/**
 * The public shape of a job, as the OpenAPI document describes it (one
 * definition: `schemas.Job`). Internal fields (owner, storage keys, password) never leave.
 */
export type JobView = z.infer<typeof schemas.Job>;

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

/** The results of a job, as `schemas.JobResults` describes them; `fields` typed as the extractor builds them. */
export type ResultView = Omit<z.infer<typeof schemas.JobResults>, 'fields'> & { fields: Extraction | null };
type PageView = ResultView['pages'][number];

export function resultView(job: JobWithResult): ResultView {
  return {
    id: job.id,
    status: job.status,
    text: job.result?.text ?? '',
    fields: (job.result?.fields as unknown as Extraction | null | undefined) ?? null,
    artifacts: jobArtifacts(job).map(({ name, contentType, sizeBytes }) => ({ name, contentType, sizeBytes, href: `/jobs/${job.id}/artifacts/${name}` })),
    pages: job.pages.map((page): PageView => {
      if (page.status === 'FAILED') {
        return { number: page.number, error: { code: page.errorCode ?? 'INTERNAL', message: page.errorMessage ?? '' } };
      }
      // Pages stored before sources were recorded carry their own number; ours wins.
      // The rotation column holds only what the pipeline wrote: a Rotation.
      const { number: _legacy, ...text } = page.result as unknown as PageText & { number?: number };
      return { number: page.number, source: page.source as PageSource, rotation: page.rotation as Rotation, ...text };
    }),
  };
}

/** Every stored file of a job: the upload (`original`), then the outputs the worker made. */
export function jobArtifacts(job: Job & { result?: { artifacts: unknown } | null }): JobArtifact[] {
  const original = { name: ORIGINAL, contentType: job.mediaType, sizeBytes: job.sizeBytes, key: job.originalKey };
  return [original, ...((job.result?.artifacts as JobArtifact[] | null | undefined) ?? [])];
}

/** The upload's artifact name. */
export const ORIGINAL = 'original';
