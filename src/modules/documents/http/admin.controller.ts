import { Controller, Get } from '@nestjs/common';
import { RequireScope } from '../../../auth/public.decorator.js';
import { JobsRepository } from '../../../jobs/jobs.repository.js';
import { OcrJobProducer } from '../../../jobs/ocr-job.producer.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiScoped, ref } from '../../../http/openapi.js';

/** What operators with the `admin` scope may see besides every job. */
@Controller('admin')
@RequireScope('admin')
@ApiTags('admin')
@ApiScoped('admin')
export class AdminController {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly queue: OcrJobProducer,
  ) {}

  /** The OCR queue's entries by state (Redis) and jobs by status (the database). */
  @Get('queue')
  @ApiOkResponse({ schema: ref('QueueState') })
  @ApiProblems(503)
  async queueState() {
    const [queue, jobs] = await Promise.all([this.queue.counts(), this.jobs.countByStatus()]);
    return { queue, jobs };
  }
}
