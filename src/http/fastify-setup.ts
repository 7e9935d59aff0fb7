import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/config.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The Fastify instance under Nest: request ids, and the proxy trust a load
 * balancer in front of the API needs.
 */
export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: true,
    bodyLimit: 1024 * 1024,
    // Keep a caller's or load balancer's request id when it is sane, so logs join up.
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      // pino-http (nestjs-pino) reuses `req.id` of the raw request: one id in both logs.
      (req as IncomingMessage & { id?: string }).id = id;
      return id;
    },
  });
}

/** Plugins every HTTP surface gets (security headers), and uploads on the API. */
export async function registerPlugins(
  app: NestFastifyApplication,
  config: Readonly<AppConfig>,
  { uploads }: { uploads: boolean },
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  if (config.http.helmet) await app.register(helmet);
  if (uploads) {
    await app.register(multipart, {
      throwFileSizeLimit: true,
      limits: {
        fileSize: config.limits.maxUploadBytes,
        files: 1,
        fields: 20,
        fieldSize: 64 * 1024,
        parts: 25,
        headerPairs: 100,
      },
    });
  }
}
