import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { mountQueueDashboard } from './dashboard/queue-dashboard.js';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { createFastifyAdapter, registerPlugins } from './http/fastify-setup.js';
import { mountOpenApi } from './http/openapi.js';
import { mountUi } from './modules/ui/mount-ui.js';
import { ProblemFilter } from './http/problem.filter.js';
import { bindRequestIds, logRequests } from './infra/logging/request-log.js';

/**
 * Builds the application for the configured mode, ready to listen. main.ts
 * and the end-to-end tests share it, so tests boot exactly what runs in production.
 */
export async function createApp(config: Readonly<AppConfig>): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forMode(config),
    createFastifyAdapter(config),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  logRequests(app.getHttpAdapter().getInstance());
  bindRequestIds(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new ProblemFilter());
  await registerPlugins(app, config, { api: config.mode !== 'worker' });
  if (config.mode !== 'worker') await mountQueueDashboard(app);
  if (config.mode !== 'worker' && config.swagger) mountOpenApi(app);
  if (config.mode !== 'worker' && config.ui) await mountUi(app, config);
  return app;
}

/** The port a mode serves on: the API's, or the worker's health-only port. */
export function listenPort(config: Readonly<AppConfig>): number {
  return config.mode === 'worker' ? config.http.workerPort : config.http.port;
}
