import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal.js';

const logger = new Logger('HTTP');

/**
 * The access log: one line per answered request, at info, once the response
 * is finished. It is written from a Fastify hook because only Fastify knows
 * the matched route pattern (`/jobs/:id`, so job ids stay out of the log) and
 * the principal the auth guard put on the request. No header is logged, so
 * neither the Authorization header nor a cookie can leak; health probes arrive
 * every few seconds and say nothing, so they are left out.
 */
export function logRequests(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/health')) return;
    logger.log(
      {
        requestId: request.id,
        method: request.method,
        // Unmatched requests (404s) have no pattern, and their raw URL is the client's to choose.
        route: route ?? null,
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        subject: (request as FastifyRequest & { user?: Principal }).user?.subject,
      },
      'request completed',
    );
  });
}
