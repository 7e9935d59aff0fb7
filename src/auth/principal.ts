import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who is calling: the verified token's subject, which owns the jobs it creates. */
export interface Principal {
  subject: string;
}

/** Injects the authenticated {@link Principal} into a route handler. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().user,
);
