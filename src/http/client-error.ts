import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { ErrorCode } from '../common/app-error.js';
import { STATUS_OF } from './error-status.js';
import { problem } from './problem.filter.js';

const logger = new Logger('HTTP');

/** What Node's parser refused, as a code and a message safe to show. */
export function clientErrorProblem(nodeCode: string | undefined): { code: ErrorCode; detail: string } {
  switch (nodeCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: ErrorCode.HEADERS_TOO_LARGE, detail: 'The request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: ErrorCode.REQUEST_TIMEOUT, detail: 'The request was not received in time' };
    default:
      return { code: ErrorCode.BAD_REQUEST, detail: 'The request is not valid HTTP' };
  }
}

/**
 * Fastify's `clientErrorHandler`. Node's HTTP parser refuses some requests
 * before Fastify sees them (headers over `maxHeaderSize`, a request line that
 * is not HTTP, headers too slow to arrive), with no request or response
 * object: this writes the same problem+json envelope as every route straight
 * to the socket, then closes it, since the stream can no longer be parsed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // Node's own rule: never write into a response already under way (pipelining),
  // and a reset connection has nobody left to read an answer.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const { code, detail } = clientErrorProblem(error.code);
    const status = STATUS_OF[code];
    // A request already handed to Fastify (a body too slow to arrive) keeps its id, so the logs join up.
    const given = (inFlight as (ServerResponse & { req?: { id?: unknown } }) | undefined)?.req?.id;
    const requestId = typeof given === 'string' ? given : randomUUID();
    const body = JSON.stringify(problem(code, status, detail, requestId));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    logger.log({ requestId, statusCode: status, code, reason: error.code }, 'request refused by the HTTP parser');
  }
  socket.destroy();
}
