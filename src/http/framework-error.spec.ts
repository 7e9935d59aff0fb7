import { describe, expect, it } from 'vitest';
import { STATUS_OF } from './error-status.js';
import { frameworkErrorProblem } from './framework-error.js';

describe("answers to requests Fastify's router refuses", () => {
  it.each([
    ['FST_ERR_MAX_PARAM_LENGTH', 'URI_TOO_LONG', 414],
    ['FST_ERR_BAD_URL', 'BAD_REQUEST', 400],
    ['FST_ERR_ASYNC_CONSTRAINT', 'INTERNAL', 500],
  ])('maps %s to %s (%i)', (fastifyCode, code, status) => {
    const answer = frameworkErrorProblem(fastifyCode);
    expect(answer.code).toBe(code);
    expect(STATUS_OF[answer.code]).toBe(status);
  });
});
