import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module.js';
import { PageImagesController } from './page-images.controller.js';
import { PageImages } from './page-images.service.js';

/**
 * What the browser UI needs besides the jobs API: page images. The page
 * and its files are served by `mountUi` (Fastify routes, outside Nest's guards).
 * Imported with `ENABLE_UI`, in API modes only.
 */
@Module({
  imports: [JobsModule],
  controllers: [PageImagesController],
  providers: [PageImages],
})
export class UiModule {}
