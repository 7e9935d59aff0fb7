import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { Principal, Scope } from './principal.js';
import { IS_PUBLIC, REQUIRED_SCOPE } from './public.decorator.js';

/**
 * Global guard: every route needs a valid token unless marked {@link Public},
 * and the scope it names with {@link RequireScope}. A route that names none
 * is refused, so a new route cannot be left open by forgetting it.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await super.canActivate(context);
    const required = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, targets);
    const { scopes } = context.switchToHttp().getRequest<{ user: Principal }>().user;
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
