import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppError, ErrorCode } from '../common/app-error.js';
import { IS_PUBLIC } from './public.decorator.js';

/** Global guard: every route needs a valid token unless marked {@link Public}. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic ? true : super.canActivate(context);
  }

  // One message for every failure: the client learns nothing about why a token was refused.
  handleRequest<T>(error: unknown, principal: T): T {
    if (error || !principal) {
      throw new AppError(ErrorCode.UNAUTHORIZED, 'A valid bearer token is required');
    }
    return principal;
  }
}
