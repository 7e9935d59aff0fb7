import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { ApiClient } from './client.js';
import { token, type TestEnv } from './harness.js';

/** The real application for a test file, listening on a free loopback port. */
export interface RunningApp {
  app: NestFastifyApplication;
  /** A client authenticated as `subject`. */
  client(subject?: string): Promise<ApiClient>;
}

export async function startApp(env: TestEnv, overrides: Record<string, string>): Promise<RunningApp> {
  const app = await createApp(env.config(overrides));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = new ApiClient(await app.getUrl());
  return { app, client: async (subject = 'tester') => base.as(await token(subject)) };
}
