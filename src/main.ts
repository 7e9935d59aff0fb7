import './node-version.js';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, listenPort } from './app.factory.js';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';

async function main(): Promise<void> {
  let config: Readonly<AppConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const app = await createApp(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(app, signal, config.http.shutdownTimeoutMs));
  }
  await app.listen({ port: listenPort(config), host: config.http.host });
}

/**
 * Graceful stop within `SHUTDOWN_TIMEOUT_MS`: the API ends its event streams
 * and lets requests in flight finish; the queue worker takes no new job, and
 * each running job stores its current page and is given back to the queue;
 * then connections close. Exit status 0 tells the orchestrator the stop was
 * clean, 1 that the timeout cut it short.
 */
async function shutdown(app: NestFastifyApplication, signal: string, timeoutMs: number): Promise<void> {
  const logger = new Logger('Shutdown');
  logger.log(`${signal} received; finishing running work`);
  setTimeout(() => {
    logger.error(`still busy after ${timeoutMs} ms; exiting`);
    process.exit(1);
  }, timeoutMs).unref();
  await app.close();
  logger.log('stopped cleanly');
  process.exit(0);
}

await main();
