import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../../config/config.js';
import { SECRET_KEYS } from '../../config/config.schema.js';

/**
 * JSON logs through pino. Credentials are redacted wherever they might appear:
 * request headers, and any logged object carrying a secret config key.
 */
export function loggerOptions(config: Readonly<AppConfig>): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          ...SECRET_KEYS.map((key) => `*.${key}`),
          '*.jwtSecret',
          '*.password',
        ],
        censor: '[redacted]',
      },
      // Health probes arrive every few seconds and say nothing.
      autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
      customProps: () => ({ service: 'ocrflow', mode: config.mode }),
    },
  };
}
