-- The active-jobs quota reads a count kept per owner instead of counting the
-- owner's QUEUED and RUNNING jobs on every upload batch. That count stopped at
-- the limit, but under a high limit it read every unfinished job of the owner
-- (with a heap fetch each, as new rows are not yet all-visible): with one
-- subject and 6,000 queued jobs, 1.4 ms per batch, most of PostgreSQL's work
-- in bench/upload.
--
-- Triggers keep it, so every writer of jobs does (the upload function, status
-- transitions, deletes, a TRUNCATE): inserts and deletes once per statement,
-- status changes per row and only when the status or owner changes.

-- CreateTable
CREATE TABLE "owner_unfinished_jobs" (
    "owner_id" TEXT NOT NULL,
    "unfinished" INTEGER NOT NULL,

    CONSTRAINT "owner_unfinished_jobs_pkey" PRIMARY KEY ("owner_id")
);

CREATE FUNCTION ocrflow_count_created_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO owner_unfinished_jobs AS c (owner_id, unfinished)
  SELECT owner_id, count(*) FROM created WHERE status IN ('QUEUED', 'RUNNING') GROUP BY owner_id
  -- Owners' rows in one order, so that two batches without the quota's advisory locks cannot deadlock on them.
  ORDER BY owner_id
  ON CONFLICT (owner_id) DO UPDATE SET unfinished = c.unfinished + excluded.unfinished;
  RETURN NULL;
END
$$;

CREATE FUNCTION ocrflow_count_deleted_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE owner_unfinished_jobs AS c SET unfinished = c.unfinished - gone.n
  FROM (SELECT owner_id, count(*) AS n FROM deleted WHERE status IN ('QUEUED', 'RUNNING') GROUP BY owner_id) AS gone
  WHERE c.owner_id = gone.owner_id;
  RETURN NULL;
END
$$;

CREATE FUNCTION ocrflow_count_moved_job() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was boolean := OLD.status IN ('QUEUED', 'RUNNING');
  is_now boolean := NEW.status IN ('QUEUED', 'RUNNING');
BEGIN
  IF was = is_now AND OLD.owner_id = NEW.owner_id THEN
    RETURN NULL; -- QUEUED <-> RUNNING, or between finished statuses
  END IF;
  IF was THEN
    UPDATE owner_unfinished_jobs SET unfinished = unfinished - 1 WHERE owner_id = OLD.owner_id;
  END IF;
  IF is_now THEN
    INSERT INTO owner_unfinished_jobs AS c (owner_id, unfinished) VALUES (NEW.owner_id, 1)
    ON CONFLICT (owner_id) DO UPDATE SET unfinished = c.unfinished + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION ocrflow_count_truncated_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM owner_unfinished_jobs;
  RETURN NULL;
END
$$;

-- No job may change between the count below and the triggers taking over.
LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;

CREATE TRIGGER jobs_count_created AFTER INSERT ON jobs
  REFERENCING NEW TABLE AS created FOR EACH STATEMENT EXECUTE FUNCTION ocrflow_count_created_jobs();
CREATE TRIGGER jobs_count_deleted AFTER DELETE ON jobs
  REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION ocrflow_count_deleted_jobs();
CREATE TRIGGER jobs_count_moved AFTER UPDATE OF status, owner_id ON jobs
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.owner_id IS DISTINCT FROM NEW.owner_id)
  EXECUTE FUNCTION ocrflow_count_moved_job();
CREATE TRIGGER jobs_count_truncated AFTER TRUNCATE ON jobs
  FOR EACH STATEMENT EXECUTE FUNCTION ocrflow_count_truncated_jobs();

INSERT INTO owner_unfinished_jobs (owner_id, unfinished)
SELECT owner_id, count(*) FROM jobs WHERE status IN ('QUEUED', 'RUNNING') GROUP BY owner_id;

-- ocrflow_create_jobs (20261129151000) with the owners' counts read from the
-- table. Under the owners' advisory locks, in a statement of its own, the read
-- sees every upload committed before; a job finishing meanwhile is seen as
-- still unfinished (the safe side), and its decrement and this batch's
-- increment meet on the owner's row, in commit order.
CREATE OR REPLACE FUNCTION ocrflow_create_jobs(batch jsonb, max_unfinished int) RETURNS SETOF jobs
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF max_unfinished > 0 THEN
    PERFORM pg_advisory_xact_lock(k) FROM (
      SELECT DISTINCT hashtext(item->>'ownerId') AS k FROM jsonb_array_elements(batch) AS item ORDER BY k
    ) AS keys;
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT * FROM jsonb_to_recordset(batch) AS x(
      ord int, id uuid, "ownerId" text, "fileName" text, "mediaType" text, "sizeBytes" int,
      "originalKey" text, options jsonb, password text)
  ), unfinished AS (
    SELECT owners.owner_id, coalesce(c.unfinished, 0) AS n
    FROM (SELECT DISTINCT input."ownerId" AS owner_id FROM input) AS owners
    LEFT JOIN owner_unfinished_jobs c ON c.owner_id = owners.owner_id
    WHERE max_unfinished > 0
  ), admitted AS (
    SELECT input.* FROM input LEFT JOIN unfinished u ON u.owner_id = input."ownerId"
    WHERE max_unfinished = 0
       OR coalesce(u.n, 0) + (SELECT count(*) FROM input p WHERE p."ownerId" = input."ownerId" AND p.ord <= input.ord) <= max_unfinished
  ), created AS (
    INSERT INTO jobs (id, owner_id, file_name, media_type, size_bytes, original_key, options, password, event_seq, updated_at)
    SELECT a.id, a."ownerId", a."fileName", a."mediaType", a."sizeBytes", a."originalKey", a.options, a.password, 1, now() FROM admitted a
    RETURNING *
  ), events AS (
    INSERT INTO job_events (job_id, seq, type, data) SELECT created.id, 1, 'queued', '{}'::json FROM created
  )
  SELECT * FROM created;
END
$$;
