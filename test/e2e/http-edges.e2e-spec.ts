import { HealthIndicatorService } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthIndicators } from '../../src/health/health.indicators.js';
import { JobLifecycle } from '../../src/jobs/job-lifecycle.js';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, type ServerEvent } from '../support/client.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { slowRequest, type RawResponse } from '../support/raw-http.js';

// Small on purpose, so slow senders are cut quickly; the deadlines below are generous.
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 3_000;

/** The envelope every error uses, checked on a fetch answer or a raw one. */
function expectEnvelope(status: number, contentType: string | null, body: any, code: string) {
  expect({ status, code: body.code }).toEqual({ status: body.status, code });
  expect(contentType).toContain('application/problem+json');
  expect(body).toMatchObject({ type: `urn:ocrflow:error:${code}`, title: code });
  expect(typeof body.detail).toBe('string');
  expect(body.requestId).toBeTruthy();
  expect(body).not.toHaveProperty('statusCode');
  expect(body).not.toHaveProperty('error');
}

async function problemOf(res: Response, status: number, code: string): Promise<any> {
  const body = (await res.json()) as any;
  expect(res.status).toBe(status);
  expectEnvelope(res.status, res.headers.get('content-type'), body, code);
  return body;
}

function rawProblem(res: RawResponse, status: number, code: string): any {
  const body = JSON.parse(res.body);
  expect(res.status).toBe(status);
  expectEnvelope(res.status, res.headers['content-type'] ?? null, body, code);
  return body;
}

describe('edges a hostile HTTP client finds (MODE=api, small timeouts)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_http_edges');
    running = await startApp(env, {
      MODE: 'api',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    client = await running.client('mallory');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  describe('errors raised by Fastify before any route', () => {
    it('answers an over-long path parameter with 414 URI_TOO_LONG in the envelope, not quoting the path', async () => {
      const res = await client.get(`/jobs/${'a'.repeat(300)}`);
      const body = await problemOf(res, 414, 'URI_TOO_LONG');
      expect(res.headers.get('x-request-id')).toBe(body.requestId);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(JSON.stringify(body)).not.toContain('aaaa');
    });

    it('answers a URL that cannot be decoded with 400 BAD_REQUEST in the envelope', async () => {
      await problemOf(await client.get('/jobs/%zz'), 400, 'BAD_REQUEST');
    });

    it('answers a bad JSON body, an unknown content type and an oversized body in the envelope', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      const bearer = await token('mallory');
      const post = (type: string, body: string) =>
        fetch(`${client.baseUrl}/jobs/${id}/extract`, {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${bearer}`, 'content-type': type },
        });
      await problemOf(await post('application/json', '{bad'), 400, 'BAD_REQUEST');
      await problemOf(await post('application/xml', '<a/>'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await problemOf(await post('application/json', `"${'a'.repeat(2 * 1024 * 1024)}"`), 413, 'FILE_TOO_LARGE');
    });
  });

  describe('NUL characters, which PostgreSQL text refuses', () => {
    it('refuses a password holding NUL with 400 VALIDATION_FAILED naming the field, not echoing it, storing nothing', async () => {
      const res = await client.upload(await textImage(['secret']), { fields: { password: 'hunter\u00002' } });
      const body = await problemOf(res, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field: 'password', message: 'must not contain NUL characters' }]);
      expect(JSON.stringify(body)).not.toContain('hunter');
      expect(await env.sql('SELECT id FROM jobs')).toEqual([]);
    });

    it('refuses NUL in every other form field the same way', async () => {
      const png = await textImage(['fields']);
      for (const field of ['pages', 'ocr', 'schema']) {
        const body = await problemOf(await client.upload(png, { fields: { [field]: 'a\u0000' } }), 400, 'VALIDATION_FAILED');
        expect(body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await env.sql('SELECT id FROM jobs')).toEqual([]);
    });

    it('drops NUL from a file name and accepts the upload', async () => {
      const job = await client.submit(await textImage(['named']), { fileName: 'in\u0000voice.png' });
      expect(job.fileName).toBe('invoice.png');
      await env.sql('DELETE FROM jobs');
    });

    it('refuses NUL in query parameters with 400 VALIDATION_FAILED', async () => {
      for (const query of ['cursor=%00', 'status=%00', 'limit=%00']) {
        await problemOf(await client.get(`/jobs?${query}`), 400, 'VALIDATION_FAILED');
      }
    });
  });

  describe('slow senders', () => {
    it('cuts a client that sends its headers a byte at a time with 408 REQUEST_TIMEOUT and closes the connection', async () => {
      // The header line never ends: ~60 s of bytes, 5 a second.
      const res = await slowRequest(client.baseUrl, 'GET /health/live HTTP/1.1\r\nHost: x\r\n', `X-Slow: ${'a'.repeat(300)}`, 200);
      rawProblem(res, 408, 'REQUEST_TIMEOUT');
      expect(res.headers.connection).toBe('close');
      expect((await client.get('/health/live')).status).toBe(200);
    });

    it('cuts an upload whose body comes a byte at a time with 408 REQUEST_TIMEOUT, storing nothing', async () => {
      const boundary = 'slowboundary';
      const head =
        'POST /jobs HTTP/1.1\r\nHost: x\r\n' +
        `Authorization: Bearer ${await token('mallory')}\r\n` +
        'X-Request-Id: slow-upload-1\r\n' +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
        'Content-Length: 100000\r\n\r\n' +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\n` +
        'Content-Type: image/png\r\n\r\n';
      const res = await slowRequest(client.baseUrl, head, 'x'.repeat(1_000), 200);
      // The request had reached Fastify: the answer keeps its id, for the logs.
      expect(rawProblem(res, 408, 'REQUEST_TIMEOUT').requestId).toBe('slow-upload-1');
      expect(res.headers.connection).toBe('close');
      expect(await env.sql('SELECT id FROM jobs')).toEqual([]);
    });

    it('still accepts an upload sent at a normal pace', async () => {
      const job = await client.submit(await textImage(['on time']));
      expect(job.status).toBe('QUEUED');
      await env.sql('DELETE FROM jobs');
    });
  });

  describe('event streams resumed with Last-Event-ID', () => {
    /** Reads the stream until the server ends it, or reports it still open after `openMs`. */
    async function eventsOrOpen(id: string, lastEventId: string, openMs: number): Promise<ServerEvent[] | 'open'> {
      const timer = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), openMs));
      const events = client.events(`/jobs/${id}/events`, { lastEventId });
      events.catch(() => undefined);
      return Promise.race([events, timer]);
    }

    it('ends at once, with no events, for a finished job with nothing after Last-Event-ID', async () => {
      const job = await client.submit(await textImage(['finished']));
      // No worker in this mode: the job fails as the reconciler would fail a lost one.
      expect(await running.app.get(JobLifecycle).fail(job.id, 'INTERNAL', 'failed by the test')).toBe(true);
      // Events 1 (queued) and 2 (failed).
      expect(await eventsOrOpen(job.id, '999', 20_000)).toEqual([]);
      expect(await eventsOrOpen(job.id, '2', 20_000)).toEqual([]);
      const rest = await eventsOrOpen(job.id, '1', 20_000);
      expect(rest === 'open' ? rest : rest.map((e) => [e.id, e.type])).toEqual([['2', 'failed']]);
    });

    it('keeps a stream past the last event of a running job open while it runs (longer than the request timeout), and ends it when the job finishes', async () => {
      const job = await client.submit(await textImage(['unfinished']));
      const events = client.events(`/jobs/${job.id}/events`, { lastEventId: '999' });
      let ended = false;
      void events.then(() => (ended = true), () => (ended = true));
      // Past the request timeout too: it bounds receiving a request, not a long answer.
      await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 1_500));
      expect(ended).toBe(false);
      await running.app.get(JobLifecycle).fail(job.id, 'INTERNAL', 'failed by the test');
      const timer = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 20_000));
      expect(await Promise.race([events, timer])).toEqual([]);
    });
  });

  describe('/health under a flood', () => {
    it('runs one check for many concurrent calls, and still shows an outage and a recovery within seconds', async () => {
      // The database indicator, wrapped to count its runs and to fake an outage.
      const indicators = running.app.get(HealthIndicators) as unknown as { database: () => PromiseLike<unknown> };
      const database = indicators.database;
      let checks = 0;
      let outage = false;
      const down = running.app.get(HealthIndicatorService);
      indicators.database = async () => {
        checks++;
        return outage ? down.check('database').down({ message: 'outage made by the test' }) : database();
      };
      try {
        // After the last shared outcome has expired, so the flood starts a fresh check.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const statuses = await Promise.all(Array.from({ length: 100 }, async () => (await fetch(`${client.baseUrl}/health`)).status));
        expect(statuses).toEqual(Array(100).fill(200));
        // One check; two should the flood straddle the end of its 1 s window on a slow machine.
        expect(checks).toBeGreaterThanOrEqual(1);
        expect(checks).toBeLessThanOrEqual(2);

        outage = true;
        const failed = await eventually(async () => {
          const res = await fetch(`${client.baseUrl}/health`);
          return res.status === 503 ? res : undefined;
        }, 10_000);
        const body = await problemOf(failed, 503, 'SERVICE_UNAVAILABLE');
        expect(body.checks.database).toEqual({ status: 'down' });

        outage = false;
        await eventually(async () => ((await fetch(`${client.baseUrl}/health`)).status === 200 ? true : undefined), 10_000);
      } finally {
        indicators.database = database;
      }
    });
  });
});
