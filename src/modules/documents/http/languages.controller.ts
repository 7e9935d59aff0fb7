import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../../../auth/public.decorator.js';
import { APP_CONFIG } from '../../../config/config.module.js';
import type { AppConfig } from '../../../config/config.js';
import { ApiScoped, ref } from '../../../http/openapi.js';

/** The OCR languages a job may ask for (`OCR_LANGS`), and what it gets when it names none. */
@ApiTags('jobs')
@Controller('languages')
export class LanguagesController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @RequireScope('jobs:read')
  @ApiScoped('jobs:read')
  @ApiOkResponse({ schema: ref('LanguageList') })
  list() {
    return { installed: this.config.ocr.languages, default: this.config.ocr.defaultLanguages };
  }
}
