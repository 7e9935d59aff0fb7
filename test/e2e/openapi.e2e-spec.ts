import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { startApp, type RunningApp } from '../support/app.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** The served document, read loosely: the assertions below say what it must hold. */
async function served(baseUrl: string): Promise<any> {
  return (await fetch(`${baseUrl}/docs/json`)).json();
}

/**
 * A small program against the types generated from the served document: it
 * compiles only while the document names the routes, fields and codes it uses,
 * so a renamed field or route breaks this test.
 */
const TYPED_CHECK = `
import createClient from 'openapi-fetch';
import type { paths, components } from './schema.js';

export async function check(client: ReturnType<typeof createClient<paths>>, form: FormData): Promise<string> {
  // openapi-fetch's multipart pattern: the typed fields, serialised as the form.
  const upload = await client.POST('/jobs', { body: { file: '', pages: '1', ocr: 'auto' }, bodySerializer: () => form });
  const id: string = upload.data!.id;
  const job = await client.GET('/jobs/{id}', { params: { path: { id } } });
  const status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'CANCELLED' = job.data!.status;
  const total: number | null = job.data!.pages.total;
  const results = await client.GET('/jobs/{id}/results', { params: { path: { id } } });
  const page = results.data!.pages[0]!;
  const x0: number = 'lines' in page ? page.lines[0]!.words[0]!.bbox.x0 : 0;
  const list = await client.GET('/jobs', { params: { query: { limit: 5, status: 'SUCCEEDED' } } });
  const next: string | null = list.data!.nextCursor;
  const problem: components['schemas']['Problem'] = { type: 'x', title: 'x', status: 404, code: 'NOT_FOUND', detail: 'x' };
  return [status, total, x0, next, problem.code, results.data!.text].join();
}
`;

describe('OpenAPI with ENABLE_SWAGGER=true, MODE=all', () => {
  let env: TestEnv;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let dir: string;
  /** Every route the app's Fastify instance registered, as `METHOD /path`. */
  const routes = new Set<string>();

  beforeAll(async () => {
    env = await createTestEnv('e2e_openapi');
    app = await createApp(env.config({ MODE: 'all', ENABLE_SWAGGER: 'true' }));
    // Nest adds its controllers' routes when the app starts listening, so this sees all of them.
    app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.add(`${method} ${route.url}`);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await app.getUrl();
    await mkdir(join(ROOT, 'node_modules/.cache'), { recursive: true });
    dir = await mkdtemp(join(ROOT, 'node_modules/.cache/openapi-'));
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves a valid OpenAPI 3 document at /docs/json and a UI at /docs, without a token', async () => {
    const res = await fetch(`${baseUrl}/docs/json`);
    expect(res.status).toBe(200);
    const document: any = await res.json();
    expect(document.openapi).toMatch(/^3\./);
    await SwaggerParser.validate(structuredClone(document));
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const ui = await fetch(`${baseUrl}/docs`);
    expect(ui.status).toBe(200);
    const html = await ui.text();
    // The page only works when its scripts and styles load (and helmet's CSP allows them: same origin, no inline script).
    const assets = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => new URL(m[1]!, `${baseUrl}/docs`));
    expect(assets.map((a) => a.pathname)).toContain('/docs/swagger-ui-bundle.js');
    for (const asset of assets) expect((await fetch(asset)).status, asset.pathname).toBe(200);
    expect(html).not.toMatch(/<script>/);
  });

  it('documents every route the app registers, with problem answers', async () => {
    const document = await served(baseUrl);
    const documented = new Set(
      Object.entries(document.paths as Record<string, object>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    // The docs themselves, the Bull Board dashboard's pages and the browser UI's page and files are not API routes.
    const api = [...routes].filter((r) => !/^(HEAD|OPTIONS) |^\w+ \/(docs|admin\/queues|ui\/|$)/.test(r));
    expect(api.length).toBeGreaterThanOrEqual(10);
    expect(api.filter((r) => !documented.has(r))).toEqual([]);
    expect(document.paths['/jobs/{id}'].get.responses['404'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(Object.keys(document.paths['/jobs/{id}/events'].get.responses['200'].content)).toEqual(['text/event-stream']);
    expect(document.paths['/jobs'].post.requestBody.content['multipart/form-data'].schema.properties).toHaveProperty('file');
  });

  it('generates a typed client from the served document that uploads, polls and reads the text', async () => {
    const document = await served(baseUrl);
    await writeFile(join(dir, 'schema.ts'), astToString(await openapiTS(document)));
    await writeFile(join(dir, 'check.ts'), TYPED_CHECK);
    await promisify(execFile)(process.execPath, [
      TSC, '--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--skipLibCheck', join(dir, 'check.ts'),
    ]).catch((error) => { throw new Error(`generated client does not type-check:\n${error.stdout}`); });

    const client = createClient<any>({ baseUrl, headers: { Authorization: `Bearer ${await token('olga')}` } });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await textImage(['Swagger invoice 7731']))]), 'page.png');
    const upload = await client.POST('/jobs', { body: form, bodySerializer: (b: FormData) => b });
    expect(upload.response.status).toBe(202);
    const id: string = upload.data.id;
    const done = await eventually(async () => {
      const { data } = await client.GET('/jobs/{id}', { params: { path: { id } } });
      return data.status === 'SUCCEEDED' ? data : undefined;
    }, 150_000);
    expect(done.pages).toMatchObject({ total: 1, done: 1, failed: 0 });
    const { data: results } = await client.GET('/jobs/{id}/results', { params: { path: { id } } });
    expect(results.text).toContain('Swagger invoice 7731');
    expect(results.pages[0].lines.flatMap((l: any) => l.words.map((w: any) => w.text))).toContain('7731');

    const missing = await client.GET('/jobs/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.response.headers.get('content-type')).toContain('application/problem+json');
    const ajv = new Ajv({ strict: false });
    ajvFormats.default(ajv);
    const problemSchema = document.components.schemas.Problem;
    expect(ajv.validate(problemSchema, missing.error), JSON.stringify(ajv.errors)).toBe(true);
    expect(missing.error.code).toBe('NOT_FOUND');
  }, 200_000);
});

describe('OpenAPI with ENABLE_SWAGGER unset', () => {
  let env: TestEnv;
  let running: RunningApp;

  beforeAll(async () => {
    env = await createTestEnv('e2e_openapi_off');
    running = await startApp(env, { MODE: 'api' });
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('answers 404 on /docs and /docs/json', async () => {
    const baseUrl = await running.app.getUrl();
    expect((await fetch(`${baseUrl}/docs`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/docs/json`)).status).toBe(404);
  });
});
