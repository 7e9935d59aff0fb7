-- The active-jobs quota counts an owner's QUEUED and RUNNING jobs on every
-- upload; without this index that count read every job the owner ever had.
-- CreateIndex
CREATE INDEX "jobs_owner_id_status_idx" ON "jobs"("owner_id", "status");
