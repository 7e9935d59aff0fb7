import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../common/app-error.js';
import { codeForStatus, STATUS_OF } from './error-status.js';

/** The error body every route returns: RFC 9457 problem details plus a stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  requestId: string;
  [extra: string]: unknown;
}

/** Builds the envelope. Shared with the answers written before Fastify sees a request. */
export function problem(
  code: ErrorCode,
  status: number,
  detail: string,
  requestId: string,
  extra?: Record<string, unknown>,
): Problem {
  // Extras first: nothing in them may override the envelope's own fields.
  return { ...extra, type: `urn:ocrflow:error:${code}`, title: code, status, code, detail, requestId };
}

/**
 * The single exception filter. Known errors keep their code and message;
 * anything else becomes a generic 500 whose request id is in the log, so no
 * stack trace or internal message reaches a client.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = this.toProblem(error, String(request.id));

    // Known errors were logged where they arose; an unknown one is logged here,
    // with the request id the client was given.
    if (problem.code === ErrorCode.INTERNAL) {
      this.logger.error({ err: error, requestId: problem.requestId }, 'request failed');
    }
    if (problem.code === ErrorCode.UNAUTHORIZED) reply.header('WWW-Authenticate', 'Bearer');
    if (typeof problem.retryAfterSeconds === 'number') {
      reply.header('Retry-After', String(problem.retryAfterSeconds));
    }
    reply.status(problem.status).type('application/problem+json').send(problem);
  }

  private toProblem(error: unknown, requestId: string): Problem {
    if (error instanceof AppError) {
      return problem(error.code, STATUS_OF[error.code], error.message, requestId, error.details);
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const message = status >= 500 ? 'Internal error' : messageOf(error.getResponse(), error.message);
      return problem(codeForStatus(status), status, message, requestId);
    }
    // Fastify and its plugins raise errors with a 4xx statusCode and a safe message.
    const status = (error as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return problem(codeForStatus(status), status, (error as Error).message, requestId);
    }
    return problem(ErrorCode.INTERNAL, 500, 'Internal error', requestId);
  }
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return fallback;
}
