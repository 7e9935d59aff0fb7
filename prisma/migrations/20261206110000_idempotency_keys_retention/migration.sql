-- Idempotency-Key on POST /jobs: one row per owner and key. `job_id` is null
-- while the first request is still storing its upload (later duplicates wait
-- for it); deleting the job deletes its keys, so a key never points nowhere.
-- Rows older than 24 hours are expired and purged by the maintenance job.

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "owner_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "job_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("owner_id","key")
);

-- The purge of expired keys.
-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

-- Deleting a job deletes its keys (and finding them needs the index).
-- CreateIndex
CREATE INDEX "idempotency_keys_job_id_idx" ON "idempotency_keys"("job_id");

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- JOB_RETENTION_DAYS: the purge reads finished jobs oldest first, by the index
-- on jobs(finished_at) that 20261206100000_webhooks made for the outbox sweep.
