import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { validationFailed } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { ApiProblems } from '../http/openapi.js';
import { isSubject } from './principal.js';
import { Public } from './public.decorator.js';

/** Long enough to try the service, short enough that a copied token soon stops working. */
const LIFETIME_SECONDS = 3600;
/** What the browser UI needs: upload, read, cancel. Never `admin`. */
const SCOPE = 'jobs:read jobs:write';
/** The subject `npm run token` signs for by default. */
const DEFAULT_SUBJECT = 'local-user';

const body = z
  .object({ subject: z.string().refine(isSubject, '1 to 128 printable characters').optional() })
  .strict();

/**
 * `POST /dev/token`, for local development only (`ENABLE_DEV_TOKENS`, which the
 * configuration refuses under `NODE_ENV=production`): a token signed exactly as
 * `npm run token` signs one, so a person trying the service in a browser needs
 * no command line. Not registered at all when the switch is off, so it is a 404.
 */
@ApiTags('development')
@Controller('dev')
export class DevTokenController {
  private readonly key: Uint8Array;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // The schema refuses ENABLE_DEV_TOKENS without JWT_SECRET.
    this.key = new TextEncoder().encode(config.auth.jwtSecret!);
  }

  @Post('token')
  @Public()
  @HttpCode(200)
  @ApiBody({ required: false, schema: { type: 'object', properties: { subject: { type: 'string', default: DEFAULT_SUBJECT } } } })
  @ApiOkResponse({ description: `A bearer token with the scopes \`${SCOPE}\`, valid ${LIFETIME_SECONDS / 60} minutes` })
  @ApiProblems(400)
  async issue(@Body() request: unknown): Promise<{ token: string; subject: string; scope: string; expiresIn: number }> {
    const parsed = body.safeParse(request ?? {});
    if (!parsed.success) throw validationFailed('The body must be empty or {"subject": "..."}', parsed.error, 'body');
    const subject = parsed.data.subject ?? DEFAULT_SUBJECT;
    const { issuer, audience } = this.config.auth;
    let jwt = new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(`${LIFETIME_SECONDS}s`);
    if (issuer) jwt = jwt.setIssuer(issuer);
    if (audience) jwt = jwt.setAudience(audience);
    return { token: await jwt.sign(this.key), subject, scope: SCOPE, expiresIn: LIFETIME_SECONDS };
  }
}
