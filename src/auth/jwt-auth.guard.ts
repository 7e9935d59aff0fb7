import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';
import { AppError, ErrorCode } from '../common/app-error.js';
import { Quotas } from '../quota/quotas.js';
import type { Principal, Scope } from './principal.js';
import { IS_PUBLIC, QUEUES_PAGES, REQUIRED_SCOPE } from './public.decorator.js';
import { TokenVerifier } from './token-verifier.js';

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Global guard: every route needs a valid bearer token (passport-jwt, see
 * {@link JwtStrategy}) unless marked {@link Public}, within the subject's
 * request quota (reported in `RateLimit-*` headers), and the scope it names
 * with {@link RequireScope}. A route that names none is refused, so a new
 * route cannot be left open by forgetting it. A route marked
 * {@link QueuesPages} also needs OCR pages left in the subject's day; both
 * quotas are read in one Redis round trip.
 *
 * A token passport verified before is recalled instead of verified again
 * until its `exp` ({@link TokenVerifier.recall}): a client sends the same
 * token with every request, and passport's strategy machinery and the
 * signature check were 3-4 % of the API's main thread in bench/upload.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly quotas: Quotas,
  ) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const token = bearerToken(request as never);
    const known = token ? this.verifier.recall(token) : undefined;
    if (known) request.user = known;
    else await super.canActivate(context); // passport-jwt sets request.user
    const { subject, scopes } = request.user!;

    const queuesPages = this.reflector.getAllAndOverride<boolean | undefined>(QUEUES_PAGES, targets) === true;
    const { budget, pagesUsedUp } = await this.quotas.admit(subject, { pages: queuesPages });
    if (budget) {
      const { limit, remaining, resetSeconds } = budget;
      context.switchToHttp().getResponse<FastifyReply>().headers({
        'RateLimit-Policy': `${limit};w=60`,
        'RateLimit-Limit': limit,
        'RateLimit-Remaining': remaining,
        'RateLimit-Reset': resetSeconds,
      });
      if (budget.exceeded) {
        throw new AppError(ErrorCode.QUOTA_EXCEEDED, `More than ${limit} requests a minute`, { retryAfterSeconds: resetSeconds });
      }
    }

    const required = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, targets);
    if (!required || !(scopes.has(required) || scopes.has('admin'))) {
      throw new AppError(ErrorCode.FORBIDDEN, `This needs a token with the scope ${required ?? 'admin'}`);
    }
    if (pagesUsedUp) {
      const { perDay, retryAfterSeconds } = pagesUsedUp;
      throw new AppError(ErrorCode.QUOTA_EXCEEDED, `The daily quota of ${perDay} pages is used up`, { retryAfterSeconds });
    }
    return true;
  }

  // One message for every failure: the client learns nothing about why a token was refused.
  handleRequest<T>(error: unknown, principal: T): T {
    if (error || !principal) throw new AppError(ErrorCode.UNAUTHORIZED, 'A valid bearer token is required');
    return principal;
  }
}
