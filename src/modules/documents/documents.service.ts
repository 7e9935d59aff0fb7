import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { AppError, ErrorCode, validationFailed } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE, ArtifactNotFoundError, type ArtifactStore } from '../../infra/artifacts/artifact-store.js';
import type { JobArtifact } from '../../jobs/job-result.js';
import { inspectImage } from '../../reader/image-decoder.js';
import { isPdf } from '../../reader/reader-protocol.js';
import { parseSchema } from '../../fields/schemas.js';
import { JobLifecycle } from '../../jobs/job-lifecycle.js';
import { jobLanguages, jobOptionsSchema } from '../../jobs/job-options.js';
import { JobSecrets } from '../../jobs/job-secrets.js';
import { isFinished } from '../../jobs/job-status.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { jobArtifacts, jobView, resultView, type JobView, type ResultView } from './job.view.js';
import { JobsRepository, type JobStatus, type JobWithResult } from '../../jobs/jobs.repository.js';
import { ExtractionService } from '../extraction/extraction.service.js';
import type { Extraction } from '../../fields/extraction.js';
import { OcrJobProducer } from '../../jobs/ocr-job.producer.js';
import { originalKey as originalKeyOf } from '../../jobs/job-files.js';
import { JobRemover } from '../../jobs/job-remover.js';
import { IdempotencyKeysRepository } from '../../jobs/idempotency-keys.repository.js';
import { checkCallbackUrl } from '../../infra/outbound/callback-url.js';

export interface Upload {
  data: Buffer;
  fileName: string | null;
  /** The form's other fields, by name. */
  fields: Record<string, string>;
}

/** PDF passwords are at most 127 bytes (ISO 32000-2); anything longer is not one. */
const MAX_PASSWORD_LENGTH = 256;

/**
 * A form field's text. PostgreSQL text refuses NUL, so a value holding one
 * (a password is stored with the job) was a 500 from the insert; it is a 400 here.
 */
const fieldText = () => z.string().refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');

/**
 * An encrypted PDF's password, at upload and at retry: the one definition;
 * it is stored sealed by `JobSecrets`, through `lifecycle.create`/`lifecycle.retry`.
 */
const passwordField = fieldText().min(1).max(MAX_PASSWORD_LENGTH);

/** Form fields a job accepts besides the file. */
const uploadFields = z
  .object({
    pages: fieldText(),
    ocr: fieldText(),
    schema: fieldText(),
    password: passwordField,
    callbackUrl: fieldText(),
    callbackEvents: fieldText().max(200),
    outputs: fieldText(),
    languages: fieldText(),
  })
  .partial()
  .strict();

/** `POST /jobs/:id/retry`'s optional JSON body. */
export const retryBody = z.object({ password: passwordField.optional() }).strict();

/** How long a duplicate waits for the first request with its `Idempotency-Key` to store its upload. */
const IDEMPOTENCY_WAIT_MS = 10_000;

/** How long a client should wait before asking again for an unfinished result. */
const RETRY_AFTER_SECONDS = 2;

/** Accepting documents and reading jobs back, on behalf of their owner. */
@Injectable()
export class DocumentsService {
  private readonly logger = new Logger(DocumentsService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly lifecycle: JobLifecycle,
    private readonly producer: OcrJobProducer,
    private readonly secrets: JobSecrets,
    private readonly extraction: ExtractionService,
    private readonly remover: JobRemover,
    private readonly idempotencyKeys: IdempotencyKeysRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Validates, stores and enqueues a document. Either all three happen or
   * none leaves a trace: a failure after the file is written removes it and the row.
   */
  async submit(ownerId: string, upload: Upload): Promise<JobView> {
    if (upload.data.length === 0) throw new AppError(ErrorCode.FILE_EMPTY, 'The uploaded file is empty');
    const { password, ...rest } = parseFields(upload.fields);
    const options = jobOptionsSchema.safeParse(rest);
    if (!options.success) throw validationFailed('Invalid form fields', options.error);
    // Checked here, before anything is stored; the worker parses it again.
    if (options.data.schema !== undefined) parseSchema(options.data.schema);
    jobLanguages(options.data.languages, this.config.ocr);
    if (options.data.callbackUrl !== undefined) options.data.callbackUrl = await this.callbackUrl(options.data.callbackUrl);
    // PDFs are opened in the worker, in a thread of their own; images are checked here.
    const mediaType = isPdf(upload.data) ? PDF : (await inspectImage(upload.data, this.config.limits.image)).mediaType;
    // The pages quota was checked by the guard (`@QueuesPages`), with the request quota.

    const id = randomUUID();
    // Before anything is stored: a deployment that cannot keep a password refuses it here.
    const sealed = password === undefined ? null : this.secrets.seal(id, password);
    const originalKey = originalKeyOf(id);
    await this.storeOriginal(id, originalKey, upload.data);
    let created = false;
    try {
      const job = await this.lifecycle.create({
        id,
        ownerId,
        fileName: upload.fileName,
        mediaType,
        sizeBytes: upload.data.length,
        originalKey,
        options: options.data,
        password: sealed,
      }, this.config.quotas.activeJobs);
      if (!job) throw this.activeJobsExceeded();
      created = true;
      await this.producer.enqueue(id);
      return jobView(job);
    } catch (error) {
      await this.discard(id, originalKey, created);
      if (created) {
        this.logger.error({ err: error, jobId: id }, 'enqueue failed; upload discarded');
        throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, 'The job queue is unavailable; try again shortly');
      }
      throw error;
    }
  }

  /**
   * {@link submit} once per `Idempotency-Key`: a repeat of the same request
   * (same file, name and form fields; the password is not compared, so nothing
   * derived from it is stored) within 24 hours answers with the first one's
   * job, `replayed`. Concurrent repeats wait for the first to store its
   * upload, up to {@link IDEMPOTENCY_WAIT_MS}. A failed first request frees
   * the key for the next attempt.
   *
   * @throws AppError IDEMPOTENCY_KEY_REUSED for the key with another request,
   *   IDEMPOTENCY_KEY_IN_PROGRESS when the first is still storing after the wait.
   */
  async submitOnce(ownerId: string, upload: Upload, key: string): Promise<{ job: JobView; replayed: boolean }> {
    const hash = requestHash(upload);
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const claim = await this.idempotencyKeys.claim(ownerId, key, hash);
      if (claim.kind === 'claimed') break;
      if (claim.kind === 'mismatch') {
        throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This Idempotency-Key was used with a different request in the last 24 hours');
      }
      if (claim.kind === 'replay') {
        const job = await this.jobs.findOwned(claim.jobId, ownerId);
        if (job) return { job: jobView(job), replayed: true };
      }
      if (Date.now() > deadline) {
        throw new AppError(ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS, 'A request with this Idempotency-Key is still being processed; try again shortly', {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      const job = await this.submit(ownerId, upload);
      await this.idempotencyKeys.complete(ownerId, key, job.id);
      return { job, replayed: false };
    } catch (error) {
      await this.idempotencyKeys.release(ownerId, key).catch((cause: unknown) => {
        this.logger.error({ err: cause }, 'releasing an idempotency key after a failed upload failed; it frees itself in 2 minutes');
      });
      throw error;
    }
  }

  /** A job's own webhook endpoint, refused unless webhooks are on and it is a public http(s) URL. */
  private async callbackUrl(url: string): Promise<string> {
    const { webhooks } = this.config;
    if (!webhooks) throw new AppError(ErrorCode.WEBHOOKS_DISABLED, 'Webhooks are not enabled on this service (no WEBHOOK_SECRET)');
    return checkCallbackUrl(url, { allowPrivate: webhooks.allowPrivate });
  }

  /**
   * One of the job's stored files (see {@link jobArtifacts}) and its bytes;
   * `original` at any time, an output once the job has finished with it.
   *
   * @throws AppError NOT_FOUND for another owner's job, or an artifact the job does not have.
   */
  async artifact(ownerId: string | undefined, id: string, name: string): Promise<{ artifact: JobArtifact; data: Buffer }> {
    const job = await this.jobs.findOwnedWithArtifacts(id, ownerId);
    if (!job) throw notFound();
    const artifact = jobArtifacts(job).find((candidate) => candidate.name === name);
    if (!artifact) throw new AppError(ErrorCode.NOT_FOUND, `Job ${id} has no artifact named ${JSON.stringify(name)}`);
    try {
      return { artifact, data: await this.store.get(artifact.key) };
    } catch (error) {
      // Recorded but not in the store: deleted meanwhile, or the store is down.
      if (error instanceof ArtifactNotFoundError) throw new AppError(ErrorCode.NOT_FOUND, `Job ${id} has no artifact named ${JSON.stringify(name)}`);
      this.logger.error({ err: error, jobId: id, store: this.store.location }, 'reading an artifact failed');
      throw new AppError(ErrorCode.STORAGE_UNAVAILABLE, 'The document store is unavailable; try again shortly');
    }
  }

  async get(ownerId: string | undefined, id: string): Promise<JobView> {
    const job = await this.jobs.findOwned(id, ownerId);
    if (!job) throw notFound();
    return jobView(job);
  }

  /**
   * Cancels a queued or running job: it ends `CANCELLED` and a worker running
   * it stops at its next page. A finished job cannot be.
   */
  async cancel(ownerId: string | undefined, id: string): Promise<JobView> {
    if (!(await this.jobs.findOwned(id, ownerId))) throw notFound();
    const cancelled = await this.lifecycle.cancel(id);
    // As it is now: cancelled, or finished before the cancel could apply.
    const job = (await this.jobs.findOwned(id, ownerId))!;
    if (!cancelled) {
      throw new AppError(ErrorCode.JOB_FINISHED, `Job is ${job.status}; only a queued or running job can be cancelled`, { jobStatus: job.status });
    }
    return jobView(job);
  }

  /**
   * Deletes a job, its results and its files; an unfinished one is cancelled
   * first (see {@link JobRemover.remove} for the order).
   *
   * @throws AppError STORAGE_UNAVAILABLE when its files could not be deleted:
   *   the job is kept (cancelled, if it was unfinished) and may be deleted again.
   */
  async delete(ownerId: string | undefined, id: string): Promise<void> {
    const job = await this.jobs.findOwned(id, ownerId);
    if (!job) throw notFound();
    if ((await this.remover.remove(job)) === 'kept') {
      throw new AppError(ErrorCode.STORAGE_UNAVAILABLE, 'The document store is unavailable; the job was not deleted, try again shortly');
    }
  }

  /**
   * Runs a `FAILED` or `PARTIAL` job again from its checkpoints: succeeded
   * pages are kept, failed ones are recognised again. The active-jobs quota
   * applies as to an upload; `password` is sealed and stored as at upload.
   */
  async retry(ownerId: string | undefined, id: string, password: string | undefined): Promise<JobView> {
    if (!(await this.jobs.findOwned(id, ownerId))) throw notFound();
    const sealed = password === undefined ? null : this.secrets.seal(id, password);
    const outcome = await this.lifecycle.retry(id, sealed, this.config.quotas.activeJobs);
    if (outcome === 'quota') throw this.activeJobsExceeded();
    const job = await this.jobs.findOwned(id, ownerId);
    if (!job) throw notFound(); // deleted meanwhile
    if (outcome === 'status') {
      throw new AppError(ErrorCode.JOB_NOT_RETRYABLE, `Job is ${job.status}; only a FAILED or PARTIAL job can be retried`, { jobStatus: job.status });
    }
    try {
      await this.producer.enqueueAgain(id);
    } catch (error) {
      // The row says QUEUED, so the reconciler enqueues it once Redis answers again.
      this.logger.error({ err: error, jobId: id }, 'enqueueing a retried job failed; the reconciler enqueues it');
    }
    return jobView(job);
  }

  async list(
    ownerId: string | undefined,
    query: { limit: number; status?: JobStatus; cursor?: string },
  ): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'cursor is not valid', {
        errors: [{ field: 'cursor', message: 'not a cursor returned by this API' }],
      });
    }
    const rows = await this.jobs.listOwned(ownerId, { limit: query.limit + 1, status: query.status, after });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(jobView),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  async results(ownerId: string | undefined, id: string): Promise<ResultView> {
    return resultView(await this.finished(ownerId, id));
  }

  /**
   * Extracts `schema` (a built-in name or a custom schema's JSON) again from
   * the job's stored pages, without OCR; the new fields replace the job's.
   * A custom schema comes as JSON text or as the object a JSON body held.
   */
  async extract(ownerId: string | undefined, id: string, schema: string | Record<string, unknown>): Promise<Extraction> {
    const parsed = parseSchema(schema);
    const job = await this.finished(ownerId, id);
    const fields = await this.extraction.extract(parsed, job.pages);
    await this.lifecycle.storeFields(id, fields);
    return fields;
  }

  /** The job with its result and pages, when it has finished with some. */
  private async finished(ownerId: string | undefined, id: string): Promise<JobWithResult> {
    const job = await this.jobs.findOwnedWithResult(id, ownerId);
    if (!job) throw notFound();
    if (!isFinished(job.status)) {
      throw new AppError(ErrorCode.JOB_NOT_FINISHED, `Job is ${job.status}; results are not ready yet`, {
        jobStatus: job.status,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    if ((job.status !== 'SUCCEEDED' && job.status !== 'PARTIAL') || !job.result) {
      throw new AppError(ErrorCode.RESULT_UNAVAILABLE, `Job is ${job.status}; it has no results`, {
        jobStatus: job.status,
        ...(job.errorCode && { error: { code: job.errorCode, message: job.errorMessage ?? '' } }),
      });
    }
    return job;
  }

  /**
   * A refused or unanswered write may still have landed (a PUT whose answer
   * was lost), so it is deleted too, as far as the store lets it be.
   */
  private async storeOriginal(id: string, key: string, data: Buffer): Promise<void> {
    try {
      await this.store.put(key, data);
    } catch (error) {
      this.logger.error({ err: error, jobId: id, store: this.store.location }, 'storing an upload failed; nothing was queued');
      await this.discard(id, key, false);
      throw new AppError(ErrorCode.STORAGE_UNAVAILABLE, 'The document store is unavailable; nothing was stored, try again shortly');
    }
  }

  private activeJobsExceeded(): AppError {
    const limit = this.config.quotas.activeJobs;
    return new AppError(ErrorCode.QUOTA_EXCEEDED, `At most ${limit} jobs may be queued or running at once`, {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }

  private async discard(id: string, originalKey: string, created: boolean): Promise<void> {
    try {
      if (created) await this.jobs.delete(id);
      await this.store.delete(originalKey);
    } catch (error) {
      this.logger.error({ err: error, jobId: id }, 'cleanup after a failed upload failed');
    }
  }
}

const PDF = 'application/pdf';

function parseFields(fields: Record<string, string>) {
  const parsed = uploadFields.safeParse(fields);
  if (!parsed.success) throw validationFailed('Invalid form fields', parsed.error);
  return parsed.data;
}

/** What makes two uploads the same request: the file, its name and the form fields but the password. */
function requestHash({ data, fileName, fields }: Upload): string {
  const { password: _password, ...compared } = fields;
  const sorted = Object.fromEntries(Object.entries(compared).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify({ fileName, fields: sorted })).update('\0').update(data).digest('hex');
}

function notFound(): AppError {
  return new AppError(ErrorCode.NOT_FOUND, 'Job not found');
}
