import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../../../auth/public.decorator.js';
import { BUILT_IN_SCHEMAS } from '../../../fields/schemas.js';
import { ApiScoped, ref } from '../../../http/openapi.js';

/** The built-in extraction schemas a job may name. */
@ApiTags('extraction')
@Controller('schemas')
export class SchemasController {
  @Get()
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @ApiOkResponse({ schema: ref('SchemaList') })
  list() {
    return { items: BUILT_IN_SCHEMAS };
  }
}
