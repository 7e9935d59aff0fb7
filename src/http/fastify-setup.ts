import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from 'helmet';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/config.js';
import { RedisService } from '../infra/redis/redis.service.js';
import { answerClientError } from './client-error.js';
import { frameworkErrorHandler } from './framework-error.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
/**
 * How often Node looks for requests past their timeouts. Its default, 30 s,
 * would let a slow sender hold a connection up to 30 s past the timeout.
 */
const TIMEOUT_CHECK_MS = 1_000;

// helmet's middleware, made once: @fastify/helmet made it again on every request
// (parsing its CSP directives each time), ~6 KB of garbage and two hooks per request.
const securityHeaders = helmet();

/**
 * The Fastify instance under Nest: request ids, how far to trust proxies,
 * timeouts for slow senders, and the envelope for requests Node's parser or
 * Fastify's router refuse before any route sees them.
 */
export function createFastifyAdapter(config: Readonly<AppConfig>): FastifyAdapter {
  const { requestTimeoutMs, headersTimeoutMs } = config.http;
  return new FastifyAdapter({
    trustProxy: config.http.trustProxy,
    bodyLimit: 1024 * 1024,
    // Fastify turns Node's request timeout off (0) unless given one, so a body sent a byte
    // a second held its connection for ever. Past either, Node raises ERR_HTTP_REQUEST_TIMEOUT
    // and `answerClientError` answers 408 (when no response has begun) and closes the socket.
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, headersTimeout: headersTimeoutMs, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    clientErrorHandler: answerClientError,
    // Replaces Nest's, which passed the error to Fastify's default handler and its format.
    frameworkErrors: frameworkErrorHandler(
      config.http.helmet ? (request, reply) => securityHeaders(request.raw, reply.raw, () => undefined) : undefined,
    ),
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

/** Plugins every HTTP surface gets (security headers), and what the API adds. */
export async function registerPlugins(
  app: NestFastifyApplication,
  config: Readonly<AppConfig>,
  { api }: { api: boolean },
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // Set when the request arrives, so every answer carries it (a synchronous hook: an async onSend cost a promise per request).
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  if (config.http.helmet) {
    fastify.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)));
  }
  if (!api) return;

  if (config.http.corsOrigins) {
    await app.register(cors, { origin: config.http.corsOrigins, exposedHeaders: ['Location', 'Retry-After'] });
  }
  if (config.http.rateLimit) await registerRateLimit(app, config, config.http.rateLimit);
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

async function registerRateLimit(
  app: NestFastifyApplication,
  config: Readonly<AppConfig>,
  limit: { max: number; windowMs: number },
): Promise<void> {
  // The process's Redis connection: it fails fast (a Redis outage must not stall every
  // request) and pipelines this limit's command with the quotas' of the same moment.
  // The store's script touches one key per client, so it runs on a Redis Cluster as it is.
  const { client: redis } = app.get(RedisService);
  await app.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowMs,
    redis,
    nameSpace: `${config.queue.prefix}:ratelimit:`,
    skipOnError: true,
    allowList: (request) => request.url.startsWith('/health'),
    errorResponseBuilder: (_request, context) =>
      new AppError(ErrorCode.RATE_LIMITED, `Too many requests; retry in ${context.after}`),
  });
}
