import { Module } from '@nestjs/common';
import { JobsRepository } from './jobs.repository.js';

/** Job rows and results: shared by the API and the worker. */
@Module({ providers: [JobsRepository], exports: [JobsRepository] })
export class DocumentsModule {}
