import { applyDecorators, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentPrincipal, visibleOwner, type Principal } from '../../../auth/principal.js';
import { RequireScope } from '../../../auth/public.decorator.js';
import { AppError, ErrorCode, validationFailed } from '../../../common/app-error.js';
import { ApiProblems, ApiScoped, ref } from '../../../http/openapi.js';
import { WebhooksService } from '../webhooks.service.js';

const uuid = (what: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => new AppError(ErrorCode.VALIDATION_FAILED, `The ${what} id must be a UUID`) });

const idParams = applyDecorators(ApiParam({ name: 'id', format: 'uuid', type: String }), ApiProblems(414));

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: z.string().min(1).max(100).optional(),
});

/** A job's webhook deliveries: what was sent, every attempt's answer, and redelivery. */
@ApiTags('webhooks')
@Controller('jobs/:id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @idParams
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 100 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiOkResponse({ schema: ref('WebhookDeliveryList') })
  @ApiProblems(400, 404)
  list(@CurrentPrincipal() principal: Principal, @Param('id', uuid('job')) id: string, @Query() query: Record<string, unknown>) {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) throw validationFailed('Invalid query parameters', parsed.error);
    return this.webhooks.list(visibleOwner(principal), id, parsed.data);
  }

  @Post(':deliveryId/redeliver')
  @RequireScope('jobs:write')
  @HttpCode(202)
  @ApiScoped('jobs:write')
  @idParams
  @ApiParam({ name: 'deliveryId', format: 'uuid', type: String })
  @ApiResponse({ status: 202, description: 'A new attempt sequence is queued', schema: ref('WebhookDelivery') })
  @ApiProblems(400, 404)
  redeliver(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid('job')) id: string,
    @Param('deliveryId', uuid('delivery')) deliveryId: string,
  ) {
    return this.webhooks.redeliver(visibleOwner(principal), id, deliveryId);
  }
}
