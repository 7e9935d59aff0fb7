import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './webhook-sender.js';

describe('postWebhook (a real server on 127.0.0.1)', () => {
  let server: Server;
  let base: string;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits += 1;
      if (request.url === '/redirect') return void response.writeHead(302, { location: '/ok' }).end();
      if (request.url === '/big') return void response.writeHead(500).end('x'.repeat(100_000));
      if (request.url === '/slow') return void setTimeout(() => response.writeHead(200).end(), 2_000);
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const post = (path: string, opts: { allowPrivate?: boolean; timeoutMs?: number; host?: string } = {}) =>
    postWebhook(`${opts.host ?? base}${path}`, { 'content-type': 'application/json' }, '{}', {
      timeoutMs: opts.timeoutMs ?? 5_000,
      allowPrivate: opts.allowPrivate ?? true,
    });

  it('reports a 2xx as success, and neither follows a redirect nor keeps more than 1 KB of an answer', async () => {
    expect(await post('/ok')).toMatchObject({ result: 'success', statusCode: 204 });
    expect(await post('/redirect')).toMatchObject({ result: 'http_error', statusCode: 302 });
    const big = await post('/big');
    expect(big).toMatchObject({ result: 'http_error', statusCode: 500 });
    expect(big.responseBody).toHaveLength(1024);
  });

  it('times out a slow receiver, and reports a refused connection', async () => {
    expect(await post('/slow', { timeoutMs: 200 })).toMatchObject({ result: 'timeout' });
    const closed = await postWebhook('http://127.0.0.1:9/', {}, '{}', { timeoutMs: 2_000, allowPrivate: true });
    expect(closed).toMatchObject({ result: 'network_error', error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('sends nothing to a non-public address, named or literal, unless allowed', async () => {
    const before = hits;
    expect(await post('/ok', { allowPrivate: false })).toMatchObject({ result: 'forbidden' });
    const port = new URL(base).port;
    expect(await post('/ok', { allowPrivate: false, host: `http://localhost:${port}` })).toMatchObject({ result: 'forbidden' });
    expect(hits).toBe(before);
  });
});
