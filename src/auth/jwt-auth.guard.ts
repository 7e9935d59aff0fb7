import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply } from 'fastify';
import { AppError, ErrorCode } from '../common/app-error.js';
import { Quotas } from '../quota/quotas.js';
import type { Principal, Scope } from './principal.js';
import { IS_PUBLIC, REQUIRED_SCOPE } from './public.decorator.js';

/**
 * Global guard: every route needs a valid token unless marked {@link Public},
 * within the subject's request quota (reported in `RateLimit-*` headers), and
 * the scope it names with {@link RequireScope}. A route that names none is
 * refused, so a new route cannot be left open by forgetting it.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly quotas: Quotas,
  ) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await super.canActivate(context);
    const { subject, scopes } = context.switchToHttp().getRequest<{ user: Principal }>().user;

    const budget = await this.quotas.request(subject);
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
    if (required && (scopes.has(required) || scopes.has('admin'))) return true;
    throw new AppError(ErrorCode.FORBIDDEN, `This needs a token with the scope ${required ?? 'admin'}`);
  }

  // One message for every failure: the client learns nothing about why a token was refused.
  handleRequest<T>(error: unknown, principal: T): T {
    if (error || !principal) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'A valid bearer token is required');
    }
    return principal;
  }
}
