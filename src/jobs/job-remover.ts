import { Inject, Injectable, Logger } from '@nestjs/common';
import { ARTIFACT_STORE, type ArtifactStore } from '../infra/artifacts/artifact-store.js';
import { jobArtifactsFolder } from './job-files.js';
import { JobLifecycle } from './job-lifecycle.js';
import { isFinished } from './job-status.js';
import { JobsRepository, type Job } from './jobs.repository.js';

/**
 * Deletes a job with everything it has: its row, pages, result, events and
 * idempotency keys (the database cascades) and every stored file. Used by
 * `DELETE /jobs/:id` and by the retention purge.
 */
@Injectable()
export class JobRemover {
  private readonly logger = new Logger(JobRemover.name);

  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly jobs: JobsRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  /**
   * In this order, so that nothing is left behind:
   *
   * 1. an unfinished job is cancelled: a queued one never starts, and a
   *    worker running one stores nothing more (every write of a running job is
   *    conditional on `RUNNING`) and is not retried (`ProcessingService`);
   * 2. its files are deleted; should the store fail, the row stays (cancelled)
   *    so that deleting again finishes the work, where deleting the row first
   *    would leave files that nothing points at;
   * 3. the row goes, and with it everything the database holds for the job.
   *
   * Returns `deleted`, `absent` when another caller deleted the row first
   * (deleting twice is harmless), or `kept`, having logged the cause, when
   * the files could not be deleted.
   */
  async remove(job: Pick<Job, 'id' | 'status' | 'originalKey'>): Promise<'deleted' | 'absent' | 'kept'> {
    if (!isFinished(job.status)) await this.lifecycle.cancel(job.id);
    try {
      await this.store.delete(job.originalKey);
      await this.store.deleteFolder(jobArtifactsFolder(job.id));
    } catch (error) {
      this.logger.error({ err: error, jobId: job.id, store: this.store.location }, 'deleting a job’s files failed; the job is kept');
      return 'kept';
    }
    return (await this.jobs.delete(job.id)) ? 'deleted' : 'absent';
  }
}
