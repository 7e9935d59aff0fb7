import { Module } from '@nestjs/common';
import { JobsModule } from '../../../jobs/jobs.module.js';
import { DocumentsService } from '../documents.service.js';
import { JobEventStream } from '../../../jobs/job-event-stream.js';
import { AdminController } from './admin.controller.js';
import { JobsController } from './jobs.controller.js';
import { LanguagesController } from './languages.controller.js';
import { SchemasController } from './schemas.controller.js';
import { ExtractionModule } from '../../extraction/extraction.module.js';

/** The HTTP surface for documents: loaded in api and all modes only. */
@Module({
  imports: [JobsModule, ExtractionModule],
  controllers: [JobsController, SchemasController, LanguagesController, AdminController],
  providers: [DocumentsService, JobEventStream],
})
export class DocumentsHttpModule {}
