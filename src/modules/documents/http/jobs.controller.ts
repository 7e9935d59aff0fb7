import {
  applyDecorators,
  Body,
  Controller,
  Delete,
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
import parseRange from 'range-parser';
import { z } from 'zod';
import { CurrentPrincipal, visibleOwner, type Principal } from '../../../auth/principal.js';
import { QueuesPages, RequireScope } from '../../../auth/public.decorator.js';
import { AppError, ErrorCode, validationFailed } from '../../../common/app-error.js';
import { DocumentsService, retryBody } from '../documents.service.js';
import { JobEventStream } from '../../../jobs/job-event-stream.js';
import { jobStatus } from '../../../jobs/job-status.js';
import { readUpload } from './read-upload.js';
import { ApiBody, ApiConsumes, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ApiScoped, ref } from '../../../http/openapi.js';

const uploadBody = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'PDF, PNG, JPEG, TIFF, WebP, BMP or GIF' },
    pages: { type: 'string', description: 'Pages to process, e.g. `1-3,7` or `5-`' },
    ocr: { type: 'string', enum: ['auto', 'force'], default: 'auto' },
    languages: {
      type: 'string',
      description: 'OCR languages joined by `+`, the main one first, e.g. `deu+eng`; each one of `GET /languages` (else 400 LANGUAGE_NOT_INSTALLED). Default: the deployment\'s default (`eng`)',
    },
    password: { type: 'string', description: "An encrypted PDF's password" },
    schema: { type: 'string', description: 'Fields to extract: a built-in schema (`receipt`, `invoice`; see `GET /schemas`) or a custom schema as JSON' },
    outputs: {
      type: 'string',
      default: 'text,json',
      description: 'What to make, comma-separated: `text`, `json` (the results every job has), `hocr`, `alto`, `tsv`, `pdf` (a searchable PDF): files listed in the results as artifacts',
    },
    callbackUrl: {
      type: 'string',
      format: 'uri',
      maxLength: 2048,
      description: 'http(s) URL that receives signed webhooks for this job (public addresses only; 400 CALLBACK_URL_INVALID / CALLBACK_URL_FORBIDDEN)',
    },
    callbackEvents: {
      type: 'string',
      description:
        'Comma-separated webhook events for callbackUrl: job.succeeded, job.partial, job.failed, job.cancelled, job.page_completed. Default: the first four',
    },
  },
};

const extractBody = z
  .object({
    /** A built-in schema's name, or a custom schema (an object, or its JSON text). */
    schema: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  })
  .strict();
/** The job id in the path; Fastify's router answers one over 100 characters with 414 URI_TOO_LONG. */
const idParam = applyDecorators(ApiParam({ name: 'id', format: 'uuid', type: String }), ApiProblems(414));

const jobId = new ParseUUIDPipe({
  exceptionFactory: () => new AppError(ErrorCode.VALIDATION_FAILED, 'The job id must be a UUID'),
});

/** `Idempotency-Key`: 1–255 printable ASCII characters (a UUID is typical). */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: jobStatus.optional(),
  cursor: z.string().min(1).max(200).optional(),
});

/** The jobs API. `POST /upload` is kept from the original deployment docs. */
@ApiTags('jobs')
@Controller()
export class JobsController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly events: JobEventStream,
  ) {}

  @Post(['jobs', 'upload'])
  @RequireScope('jobs:write')
  @QueuesPages()
  @HttpCode(202)
  @ApiScoped('jobs:write')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: uploadBody })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Up to 255 printable ASCII characters. The same key with the same file and fields within 24 hours answers with the first job (`Idempotent-Replayed: true`); with another request, 422 IDEMPOTENCY_KEY_REUSED.',
  })
  @ApiResponse({
    status: 202,
    description: 'Queued; `Location: /jobs/{id}`',
    schema: ref('Job'),
    headers: { 'Idempotent-Replayed': { description: '`true` when an earlier request with the same Idempotency-Key created the job', schema: { type: 'string' } } },
  })
  @ApiProblems(400, 408, 409, 413, 415, 422, 503)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // Read here rather than with @Headers, which the OpenAPI document would list as a required header.
    // Checked before the body is read: a bad key costs the client no upload.
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'Invalid Idempotency-Key', {
        errors: [{ field: 'Idempotency-Key', message: '1 to 255 printable ASCII characters' }],
      });
    }
    const upload = await readUpload(request);
    const { job, replayed } =
      idempotencyKey === undefined
        ? { job: await this.documents.submit(principal.subject, upload), replayed: false }
        : await this.documents.submitOnce(principal.subject, upload, idempotencyKey);
    reply.header('Location', job.links.self);
    if (replayed) reply.header('Idempotent-Replayed', 'true');
    return job;
  }

  @Get('jobs')
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'status', required: false, enum: jobStatus.options })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ schema: ref('JobList') })
  @ApiProblems(400)
  list(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) throw validationFailed('Invalid query parameters', parsed.error);
    return this.documents.list(visibleOwner(principal), parsed.data);
  }

  @Get('jobs/:id')
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @idParam
  @ApiOkResponse({ schema: ref('Job') })
  @ApiProblems(400, 404)
  get(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string) {
    return this.documents.get(visibleOwner(principal), id);
  }

  @Get('jobs/:id/results')
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @idParam
  @ApiOkResponse({ schema: ref('JobResults') })
  @ApiProblems(400, 404, 409)
  results(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string) {
    return this.documents.results(visibleOwner(principal), id);
  }

  /**
   * One stored file of the job, with its type and length; a `Range` header
   * asks for part of it (`206`, one range; several are answered with the
   * whole file, as HTTP allows).
   */
  @Get('jobs/:id/artifacts/:name')
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @idParam
  @ApiParam({ name: 'name', type: String, description: '`original`, or an output named in the results: `document.pdf`, `document.hocr`, `document.alto.xml`, `document.tsv`' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The file, with its Content-Type; 206 with Content-Range for a Range request' })
  @ApiProblems(400, 404, 416, 503)
  async artifact(
    @CurrentPrincipal() principal: Principal,
    @Param('id', jobId) id: string,
    @Param('name') name: string,
    @Headers('range') range: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const { artifact, data } = await this.documents.artifact(visibleOwner(principal), id, name);
    reply.header('Content-Type', artifact.contentType);
    reply.header('Content-Disposition', `attachment; filename="${artifact.name}"`);
    reply.header('Accept-Ranges', 'bytes');
    const ranges = range === undefined ? undefined : parseRange(data.length, range, { combine: true });
    if (ranges === -1) {
      reply.header('Content-Range', `bytes */${data.length}`);
      throw new AppError(ErrorCode.RANGE_NOT_SATISFIABLE, `The file has ${data.length} bytes; the range asks for none of them`);
    }
    // No Range, a malformed one (-2: ignored, as HTTP says) or several: the whole file.
    if (!Array.isArray(ranges) || ranges.type !== 'bytes' || ranges.length !== 1) return data;
    const { start, end } = ranges[0]!;
    reply.status(206).header('Content-Range', `bytes ${start}-${end}/${data.length}`);
    return data.subarray(start, end + 1);
  }

  @Post('jobs/:id/cancel')
  @RequireScope('jobs:write')
  @HttpCode(200)
  @ApiScoped('jobs:write')
  @idParam
  @ApiOkResponse({ schema: ref('Job') })
  @ApiProblems(400, 404, 409)
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string) {
    return this.documents.cancel(visibleOwner(principal), id);
  }

  /** Deletes the job, its results and its files; an unfinished job is cancelled first. */
  @Delete('jobs/:id')
  @RequireScope('jobs:write')
  @HttpCode(204)
  @ApiScoped('jobs:write')
  @idParam
  @ApiNoContentResponse({ description: 'Deleted, with its results and files' })
  @ApiProblems(400, 404, 503)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string): Promise<void> {
    await this.documents.delete(visibleOwner(principal), id);
  }

  /** Runs a FAILED or PARTIAL job again: succeeded pages are kept, failed ones recognised again. */
  @Post('jobs/:id/retry')
  @RequireScope('jobs:write')
  @HttpCode(202)
  @ApiScoped('jobs:write')
  @idParam
  @ApiBody({
    required: false,
    schema: { type: 'object', properties: { password: { type: 'string', description: "An encrypted PDF's password (it is not kept after a job ends)" } } },
  })
  @ApiResponse({ status: 202, description: 'Queued again; `Location: /jobs/{id}`', schema: ref('Job') })
  @ApiProblems(400, 404, 409, 503)
  async retry(
    @CurrentPrincipal() principal: Principal,
    @Param('id', jobId) id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const parsed = retryBody.safeParse(body ?? {});
    if (!parsed.success) throw validationFailed('The body must be empty or {"password": "..."}', parsed.error, 'body');
    const job = await this.documents.retry(visibleOwner(principal), id, parsed.data.password);
    reply.header('Location', job.links.self);
    return job;
  }

  @Post('jobs/:id/extract')
  @RequireScope('jobs:write')
  @HttpCode(200)
  @ApiScoped('jobs:write')
  @idParam
  @ApiBody({
    schema: {
      type: 'object',
      required: ['schema'],
      properties: { schema: { oneOf: [{ type: 'string' }, { type: 'object' }], description: 'A built-in schema name or a custom schema' } },
    },
  })
  @ApiOkResponse({ schema: ref('Extraction') })
  @ApiProblems(400, 404, 409)
  extract(@CurrentPrincipal() principal: Principal, @Param('id', jobId) id: string, @Body() body: unknown) {
    const parsed = extractBody.safeParse(body);
    if (!parsed.success) throw validationFailed('The body must be {"schema": <a schema name or a custom schema>}', parsed.error, 'body');
    const { schema } = parsed.data;
    return this.documents.extract(visibleOwner(principal), id, schema);
  }

  /** Server-sent events; `Last-Event-ID` (sent by EventSource on reconnect) resumes after that event. */
  @Sse('jobs/:id/events')
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @idParam
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'Server-sent events: `id: <seq>`, `event: <type>`, `data: {jobId, seq, type, at, data}`', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiProblems(400, 404)
  follow(
    @CurrentPrincipal() principal: Principal,
    @Param('id', jobId) id: string,
    @Headers('last-event-id') lastEventId?: string,
  ): Promise<Observable<MessageEvent>> {
    const after = /^\d{1,9}$/.test(lastEventId ?? '') ? Number(lastEventId) : 0;
    return this.events.follow(principal.subject, visibleOwner(principal), id, after);
  }
}
