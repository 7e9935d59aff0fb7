-- AlterTable
ALTER TABLE "job_results" ADD COLUMN     "fields" JSON;
