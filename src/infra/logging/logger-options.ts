import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../../config/config.js';
import { SECRET_KEYS } from '../../config/config.schema.js';
import { stdoutDestination } from './log-destination.js';
import { requestIdField } from './request-log.js';

/**
 * JSON logs through pino. Credentials are redacted wherever they might appear:
 * request headers, and any logged object carrying a secret config key.
 *
 * Requests are logged by `request-log.ts`, not by pino-http: nestjs-pino
 * mounts its request middleware at `{/*splat}`, and @fastify/middie 9.3 puts
 * a `/` before a path that lacks one, so it matched `/{/*splat}`, that is only
 * `/`, and no request was ever logged. Its automatic line is off so that a
 * later fix there cannot add a second line per request.
 */
export function loggerOptions(config: Readonly<AppConfig>): Params {
  return {
    pinoHttp: [
      {
        level: config.logLevel,
        redact: {
          paths: [
            'req.headers.authorization',
            'req.headers.cookie',
            'res.headers["set-cookie"]',
            ...SECRET_KEYS.map((key) => `*.${key}`),
            '*.jwtSecret',
            '*.apiKey',
            '*.secretAccessKey',
            '*.password',
          ],
          censor: '[redacted]',
        },
        autoLogging: false,
        // A line written while a request is handled carries its id.
        mixin: requestIdField,
      },
      stdoutDestination(),
    ],
  };
}
