import {
  Controller,
  Get,
  Headers,
  HttpCode,
  type MessageEvent,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  Sse,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentPrincipal, visibleOwner, type Principal } from '../../../auth/principal.js';
import { RequireScope } from '../../../auth/public.decorator.js';
import { AppError, ErrorCode } from '../../../common/app-error.js';
import { DocumentsService } from '../documents.service.js';
import { JobEventStream } from '../job-event-stream.js';
import { readUpload } from './read-upload.js';

const jobId = new ParseUUIDPipe({
  exceptionFactory: () => new AppError(ErrorCode.VALIDATION_FAILED, 'The job id must be a UUID'),
});

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED']).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

/** The jobs API. `POST /upload` is kept from the original deployment docs. */
@Controller()
export class JobsController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly events: JobEventStream,
  ) {}

  @Post(['jobs', 'upload'])
  @RequireScope('jobs:write')
  @HttpCode(202)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const job = await this.documents.submit(principal.subject, await readUpload(request));
    reply.header('Location', job.links.self);
    return job;
  }

  @Get('jobs')
  @RequireScope('jobs:read')
  list(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'Invalid query parameters', {
        errors: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      });
    }
    return this.documents.list(visibleOwner(principal), parsed.data);
  }

  @Get('jobs/:id')
  @RequireScope('jobs:read')
  get(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string) {
    return this.documents.get(visibleOwner(principal), id);
  }

  @Get('jobs/:id/results')
  @RequireScope('jobs:read')
  results(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string) {
    return this.documents.results(visibleOwner(principal), id);
  }

  /** Server-sent events; `Last-Event-ID` (sent by EventSource on reconnect) resumes after that event. */
  @Sse('jobs/:id/events')
  @RequireScope('jobs:read')
  follow(
    @CurrentPrincipal() principal: Principal,
    @Param('id', jobId) id: string,
    @Headers('last-event-id') lastEventId?: string,
  ): Promise<Observable<MessageEvent>> {
    const after = /^\d{1,9}$/.test(lastEventId ?? '') ? Number(lastEventId) : 0;
    return this.events.follow(principal.subject, visibleOwner(principal), id, after);
  }
}
