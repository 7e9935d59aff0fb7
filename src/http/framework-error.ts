import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../common/app-error.js';
import { STATUS_OF } from './error-status.js';
import { problem } from './problem.filter.js';

const logger = new Logger('HTTP');

/** What Fastify's router refused, as a code and a message safe to show. */
export function frameworkErrorProblem(fastifyCode: string | undefined): { code: ErrorCode; detail: string } {
  switch (fastifyCode) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: ErrorCode.URI_TOO_LONG, detail: 'A path parameter is too long' };
    case 'FST_ERR_BAD_URL':
      return { code: ErrorCode.BAD_REQUEST, detail: 'The URL is not valid' };
    default:
      return { code: ErrorCode.INTERNAL, detail: 'Internal error' };
  }
}

/**
 * Fastify's `frameworkErrors`. The router refuses an over-long path parameter
 * (414) or a URL it cannot decode (400) before any hook, route or exception
 * filter runs, and Fastify would answer in its own format, quoting the path:
 * this answers with the envelope instead. No hook ran, so the request id and
 * `securityHeaders` (helmet's, when enabled) are set here.
 */
export function frameworkErrorHandler(securityHeaders?: (request: FastifyRequest, reply: FastifyReply) => void) {
  return (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void => {
    const { code, detail } = frameworkErrorProblem(error.code);
    const status = STATUS_OF[code];
    const requestId = String(request.id);
    securityHeaders?.(request, reply);
    logger.log({ requestId, statusCode: status, code, reason: error.code }, 'request refused by the router');
    void reply
      .status(status)
      .header('x-request-id', requestId)
      .type('application/problem+json')
      .send(problem(code, status, detail, requestId));
  };
}
