import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TokenVerifier } from '../auth/token-verifier.js';
import { ErrorCode } from '../common/app-error.js';
import { STATUS_OF } from '../http/error-status.js';
import { problem } from '../http/problem.filter.js';
import { QueueName } from '../jobs/queue-contract.js';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board, the queue dashboard, at `/admin/queues` on the API, for tokens
 * with the `admin` scope only. A browser cannot attach a bearer header, so the
 * token is also taken as the password of HTTP Basic authentication (any user
 * name): the browser asks for it once and sends it with the page's own API
 * calls. Read-only: a dashboard reached with credentials the browser sends by
 * itself must not offer actions a forged cross-site request could trigger.
 */
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const verifier = app.get(TokenVerifier, { strict: false });
  const queue = app.get<Queue>(getQueueToken(QueueName.OCR), { strict: false });
  const board = new FastifyAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: true })],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'ocrflow queues' } },
  });
  await app.getHttpAdapter().getInstance().register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const principal = await verifier.verify(tokenOf(request) ?? '');
      if (!principal) return refuse(request, reply, ErrorCode.UNAUTHORIZED, 'An admin token is required (as a bearer token or the Basic password)');
      if (!principal.scopes.has('admin')) return refuse(request, reply, ErrorCode.FORBIDDEN, 'This needs a token with the scope admin');
    });
    await scope.register(board.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}

/** The bearer token, or the password of Basic credentials. */
function tokenOf(request: FastifyRequest): string | undefined {
  const [scheme, value = ''] = (request.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

function refuse(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, detail: string): FastifyReply {
  if (code === ErrorCode.UNAUTHORIZED) reply.header('WWW-Authenticate', 'Basic realm="ocrflow admin", charset="UTF-8"');
  const status = STATUS_OF[code];
  return reply.status(status).type('application/problem+json').send(problem(code, status, detail, String(request.id)));
}
