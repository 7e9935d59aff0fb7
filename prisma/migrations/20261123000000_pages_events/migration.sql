-- CreateEnum
CREATE TYPE "PageStatus" AS ENUM ('SUCCEEDED', 'FAILED');

-- AlterEnum
ALTER TYPE "JobStatus" ADD VALUE 'PARTIAL';

-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "event_seq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "options" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "pages_done" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pages_failed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "pages_total" INTEGER,
ADD COLUMN     "password" TEXT;

-- CreateTable
CREATE TABLE "job_pages" (
    "job_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "status" "PageStatus" NOT NULL,
    "source" TEXT,
    "rotation" INTEGER NOT NULL DEFAULT 0,
    "result" JSON,
    "error_code" TEXT,
    "error_message" TEXT,
    "timings" JSON,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_pages_pkey" PRIMARY KEY ("job_id","number")
);

-- CreateTable
CREATE TABLE "job_events" (
    "job_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "data" JSON NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_events_pkey" PRIMARY KEY ("job_id","seq")
);

-- AddForeignKey
ALTER TABLE "job_pages" ADD CONSTRAINT "job_pages_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Move the pages of results written before job_pages existed (one image page
-- each) into job_pages, then drop the copy in job_results.
INSERT INTO "job_pages" ("job_id", "number", "status", "source", "result", "created_at")
SELECT r."job_id", COALESCE((p->>'number')::int, 1), 'SUCCEEDED', 'ocr', p, r."created_at"
FROM "job_results" r, json_array_elements(r."pages") AS p;

UPDATE "jobs" j SET "pages_total" = c.n, "pages_done" = c.n
FROM (SELECT "job_id", count(*)::int AS n FROM "job_pages" GROUP BY "job_id") c
WHERE c."job_id" = j."id";

-- AlterTable
ALTER TABLE "job_results" DROP COLUMN "pages";
