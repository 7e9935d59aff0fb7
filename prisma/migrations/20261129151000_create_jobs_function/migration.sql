-- Creates a batch of uploaded jobs, each with its `queued` event, in one round
-- trip (JobStateRepository.create calls it; see there). `batch` is a JSON array
-- of {ord, id, ownerId, fileName, mediaType, sizeBytes, originalKey, options,
-- password}; with max_unfinished > 0 an owner's jobs are admitted in `ord`
-- order while the owner has fewer than max_unfinished QUEUED or RUNNING jobs.
--
-- A function rather than one plain statement: the owners' advisory locks must
-- be granted before the count starts, and a statement sees only what was
-- committed when it began, so a count in the same statement as the locks
-- could miss a job committed while it waited for them. In PL/pgSQL each
-- statement of a VOLATILE function takes a fresh snapshot.
CREATE FUNCTION ocrflow_create_jobs(batch jsonb, max_unfinished int) RETURNS SETOF jobs
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF max_unfinished > 0 THEN
    -- In key order, so that two batches cannot deadlock; the key the
    -- interactive transaction used before, so both can run side by side.
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
    -- Counting stops at the limit: an owner at it is refused whatever the rest.
    SELECT owners.owner_id, (
      SELECT count(*) FROM (
        SELECT 1 FROM jobs WHERE jobs.owner_id = owners.owner_id AND jobs.status IN ('QUEUED', 'RUNNING') LIMIT max_unfinished
      ) AS counted) AS n
    FROM (SELECT DISTINCT input."ownerId" AS owner_id FROM input) AS owners
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
