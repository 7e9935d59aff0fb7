-- The files a job's outputs made (hOCR, ALTO, TSV, searchable PDF), recorded with
-- the result in the transaction that finishes the job; the files themselves are
-- in the artifact store under artifacts/<2 hex>/<id>/.
ALTER TABLE "job_results" ADD COLUMN "artifacts" JSON;
