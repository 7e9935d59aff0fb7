import { z } from 'zod';
import { JobStatus } from '../generated/prisma/enums.js';

/** A job's status, as the database's enum (prisma/schema.prisma) defines it: the one list. */
export const jobStatus = z.enum(JobStatus);

/** Whether a job has ended: no worker will run it and no event will follow. */
export function isFinished(status: JobStatus): boolean {
  return status !== 'QUEUED' && status !== 'RUNNING';
}
