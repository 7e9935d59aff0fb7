import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** What a token may grant, from its standard `scope` claim. */
export const SCOPES = ['jobs:read', 'jobs:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the verified token's subject, which owns the jobs it creates, and what it may do. */
export interface Principal {
  subject: string;
  scopes: ReadonlySet<Scope>;
}

/**
 * A subject is stored with every job it creates and compared in queries: a
 * short string of printable characters (no control, format or unassigned
 * code points such as NUL, which PostgreSQL text refuses).
 */
const SUBJECT = /^\P{C}{1,128}$/u;

/** True for a string fit to be a token's subject (see {@link SUBJECT}). */
export function isSubject(value: string): boolean {
  return SUBJECT.test(value);
}

/**
 * The principal a verified token's claims describe, or undefined when they do
 * not describe one: `exp` missing (a token must expire), `sub` missing or not a
 * short printable string. `scope` is a space-separated string (RFC 8693);
 * unknown scopes are ignored.
 */
export function principalFrom(claims: Record<string, unknown>): Principal | undefined {
  const { sub, exp, scope } = claims;
  if (typeof exp !== 'number' || typeof sub !== 'string' || !isSubject(sub)) return undefined;
  const granted = typeof scope === 'string' ? scope.split(' ') : [];
  return { subject: sub, scopes: new Set(SCOPES.filter((s) => granted.includes(s))) };
}

/** Whose jobs the principal may see: its own, or with `admin` every subject's (undefined). */
export function visibleOwner(principal: Principal): string | undefined {
  return principal.scopes.has('admin') ? undefined : principal.subject;
}

/** Injects the authenticated {@link Principal} into a route handler. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().user,
);
