-- The reconciler's scans, every few seconds in every worker: running jobs whose
-- lease (updated_at) lapsed, and queued jobs older than the grace period.
CREATE INDEX "jobs_status_updated_at_idx" ON "jobs"("status", "updated_at");
