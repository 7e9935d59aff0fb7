import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';

/** What is known of a request once its response is finished. */
export interface AnsweredRequest {
  requestId: string;
  method: string;
  /** The matched route pattern (`/jobs/:id`); null when none matched, since the raw URL is the client's to choose. */
  route: string | null;
  statusCode: number;
  durationMs: number;
  /** The token's subject, when the auth guard accepted one. */
  subject?: string;
}

/**
 * Calls `listener` once per answered request, from Fastify's onResponse hook:
 * only Fastify knows the matched route pattern (so job ids stay out of logs
 * and metric labels) and the principal the auth guard put on the request. The
 * access log and the request metrics both read it.
 */
export function onAnswered(fastify: FastifyInstance, listener: (answered: AnsweredRequest) => void): void {
  fastify.addHook('onResponse', async (request, reply) => {
    listener({
      requestId: request.id,
      method: request.method,
      route: request.routeOptions.url ?? null,
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime,
      subject: (request as FastifyRequest & { user?: { subject: string } }).user?.subject,
    });
  });
}

/** Health checks and metric scrapes: they arrive every few seconds and say nothing of users' traffic. */
export function isProbe(route: string | null): boolean {
  return route !== null && (route.startsWith('/health') || route === '/metrics');
}

/**
 * The access log: one line per answered request, at info, with the context
 * `HTTP`. No header is logged, so neither the Authorization header nor a
 * cookie can leak; probes are left out.
 *
 * It writes through a child of the application's pino logger without the
 * redaction paths (`logger-options.ts`): its fields are the fixed ones of
 * {@link AnsweredRequest}, none of them a credential, and pino's redaction
 * (wildcard paths for the secret config keys, parsed again on every line) was
 * 23 of the ~160 KB the API allocated per upload in bench/upload.
 */
export function logRequests(fastify: FastifyInstance): void {
  let access: Logger | undefined;
  onAnswered(fastify, ({ durationMs, ...answered }) => {
    if (isProbe(answered.route)) return;
    access ??= PinoLogger.root.child({ context: 'HTTP' }, { redact: [] });
    access.info({ ...answered, durationMs: Math.round(durationMs * 10) / 10 }, 'request completed');
  });
}

/** The id of the request being handled, for every log line written meanwhile (see {@link bindRequestIds}). */
const currentRequest = new AsyncLocalStorage<string>();

/**
 * pino's `mixin` for the application's root logger: a line written while a
 * request is handled gets that request's `requestId`. Fields given to the log
 * call win, so the access line keeps the one it names.
 */
export function requestIdField(): { requestId?: string } {
  const requestId = currentRequest.getStore();
  return requestId === undefined ? {} : { requestId };
}

/**
 * Every log line written while a request is handled carries its `requestId`,
 * the one the client gets in `X-Request-Id` and in an error's body. Bound just
 * before the handler (guards, services and the exception filter run inside
 * it), once per request: a body read from the socket resumes outside any
 * context bound on arrival.
 *
 * The id is read by {@link requestIdField} when a line is written, rather than
 * bound into a child logger per request as nestjs-pino's `runInContext` does:
 * most requests log nothing but their access line, and making the child ran
 * pino's redaction over its bindings every time (~0.8 % of the API's main
 * thread in bench/upload).
 */
export function bindRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => currentRequest.run(request.id, done));
}
