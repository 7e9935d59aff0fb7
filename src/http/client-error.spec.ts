import { describe, expect, it } from 'vitest';
import { STATUS_OF } from './error-status.js';
import { clientErrorProblem } from './client-error.js';

describe('answers to requests Node refuses before Fastify', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 'HEADERS_TOO_LARGE', 431],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'REQUEST_TIMEOUT', 408],
    ['HPE_INVALID_METHOD', 'BAD_REQUEST', 400],
    ['HPE_INVALID_HEADER_TOKEN', 'BAD_REQUEST', 400],
    [undefined, 'BAD_REQUEST', 400],
  ])('maps %s to %s (%i)', (nodeCode, code, status) => {
    const answer = clientErrorProblem(nodeCode);
    expect(answer.code).toBe(code);
    expect(STATUS_OF[answer.code]).toBe(status);
  });
});
