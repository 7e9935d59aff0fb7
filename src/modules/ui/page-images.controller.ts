import { Controller, Get, Param, ParseIntPipe, ParseUUIDPipe, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, visibleOwner, type Principal } from '../../auth/principal.js';
import { RequireScope } from '../../auth/public.decorator.js';
import { AppError, ErrorCode } from '../../common/app-error.js';
import { ApiProblems, ApiScoped } from '../../http/openapi.js';
import { PageImages } from './page-images.service.js';

const jobId = new ParseUUIDPipe({
  exceptionFactory: () => new AppError(ErrorCode.VALIDATION_FAILED, 'The job id must be a UUID'),
});
const pageNumber = new ParseIntPipe({
  exceptionFactory: () => new AppError(ErrorCode.VALIDATION_FAILED, 'The page number must be a whole number from 1'),
});

/** `GET /jobs/{id}/pages/{number}/image`: what the browser UI draws a page's words on (with `ENABLE_UI`). */
@ApiTags('jobs')
@Controller()
export class PageImagesController {
  constructor(private readonly pages: PageImages) {}

  @Get('jobs/:id/pages/:number/image')
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @ApiParam({ name: 'id', format: 'uuid', type: String })
  @ApiParam({ name: 'number', type: Number, description: '1-based page number in the document' })
  @ApiProduces('image/jpeg')
  @ApiOkResponse({
    description:
      'The page as it stands (EXIF orientation and PDF /Rotate applied), as a JPEG of about 2 megapixels. ' +
      "A result page's boxes are in this frame turned clockwise by its `rotation`.",
  })
  @ApiProblems(400, 404, 414, 422, 503)
  async image(
    @CurrentPrincipal() principal: Principal,
    @Param('id', jobId) id: string,
    @Param('number', pageNumber) number: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    if (number < 1) throw new AppError(ErrorCode.VALIDATION_FAILED, 'The page number must be a whole number from 1');
    const image = await this.pages.render(visibleOwner(principal), id, number);
    // The same page of the same upload always gives the same image.
    reply.header('Content-Type', 'image/jpeg').header('Cache-Control', 'private, max-age=86400');
    return image;
  }
}
