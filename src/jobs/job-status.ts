import { z } from 'zod';
import { JobStatus } from '../generated/prisma/enums.js';

/** A job's status, as the database's enum (prisma/schema.prisma) defines it: the one list. */
export const jobStatus = z.enum(JobStatus);
