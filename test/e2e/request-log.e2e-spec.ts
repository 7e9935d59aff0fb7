import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createTestEnv, eventually, JWT_SECRET, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort, startService, stopService } from '../support/process.js';

/** The JSON lines of the service's output that came from the access log. */
function accessLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'request completed');
}

describe.each(['info', 'debug'])('the access log at LOG_LEVEL=%s (the built service in its own process)', (level) => {
  let env: TestEnv;
  let service: ReturnType<typeof startService>;
  let base: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv(`e2e_request_log_${level}`);
    const port = await freePort();
    service = startService({ ...env.env, MODE: 'api', PORT: String(port), LOG_LEVEL: level });
    base = new ApiClient(`http://127.0.0.1:${port}`);
    await eventually(async () => ((await fetch(`${base.baseUrl}/health/live`).catch(() => undefined))?.ok ? true : undefined), 60_000)
      .catch((error) => {
        throw new Error(`${error}\n${service.output()}`);
      });
  }, 90_000);

  afterAll(async () => {
    if (service) await stopService(service);
    await env?.cleanup();
  });

  it('writes one line per request with method, route, status, duration, request id and subject, and no credentials', async () => {
    const bearer = await token('alice');
    const cookie = `session=${randomUUID()}`;
    const headers = { authorization: `Bearer ${bearer}`, cookie };
    const given = `client-chosen-${randomUUID()}`;
    const unknownJob = randomUUID();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await textImage(['logged']))]), 'page.png');

    const requests: { res: Response; method: string; route: string | null; status: number; subject?: string }[] = [
      { res: await fetch(`${base.baseUrl}/jobs`, { headers: { ...headers, 'x-request-id': given } }), method: 'GET', route: '/jobs', status: 200, subject: 'alice' },
      { res: await fetch(`${base.baseUrl}/jobs/${unknownJob}`, { headers }), method: 'GET', route: '/jobs/:id', status: 404, subject: 'alice' },
      { res: await fetch(`${base.baseUrl}/jobs`, { method: 'POST', body: form, headers }), method: 'POST', route: '/jobs', status: 202, subject: 'alice' },
      { res: await fetch(`${base.baseUrl}/jobs`, { headers: { cookie } }), method: 'GET', route: '/jobs', status: 401 },
      { res: await fetch(`${base.baseUrl}/no/such/${unknownJob}`, { headers }), method: 'GET', route: null, status: 404 },
    ];
    // Probes are left out of the access log.
    for (const path of ['/health', '/health/live', '/health/ready']) await fetch(base.baseUrl + path);

    const lines = await eventually(async () => {
      const found = accessLines(service.output());
      return found.length >= requests.length ? found : undefined;
    }, 10_000);
    expect(lines).toHaveLength(requests.length);
    expect(requests[0]!.res.headers.get('x-request-id')).toBe(given);

    for (const { res, method, route, status, subject } of requests) {
      expect(res.status).toBe(status);
      const requestId = res.headers.get('x-request-id');
      const mine = lines.filter((line) => line.requestId === requestId);
      expect(mine, `${method} ${route} ${status}`).toHaveLength(1);
      const line = mine[0]!;
      expect(line).toMatchObject({ level: 30, context: 'HTTP', method, route, statusCode: status });
      expect(line.subject).toBe(subject);
      expect(typeof line.durationMs).toBe('number');
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    }

    const log = service.output();
    expect(log).not.toContain(unknownJob);
    expect(log).not.toContain(bearer.split('.')[2]);
    expect(log).not.toContain(cookie);
    expect(log).not.toContain(JWT_SECRET);
  });

  // Lines leave at the end of the event loop's turn, from libuv's thread pool; the last ones must not be lost on the way out.
  it('has written every line of a burst when the process exits on SIGTERM', async () => {
    const headers = { authorization: `Bearer ${await token('alice')}` };
    const burst = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base.baseUrl}/jobs`, { headers })));
    const ids = burst.map((res) => res.headers.get('x-request-id'));
    expect(burst.map((res) => res.status)).toEqual(Array(50).fill(200));
    expect(await stopService(service)).toBe(0);

    const missing = () => {
      const logged = new Set(accessLines(service.output()).map((line) => line.requestId));
      return ids.filter((id) => !logged.has(id));
    };
    await eventually(async () => (missing().length === 0 ? true : undefined), 10_000).catch(() => undefined);
    expect(missing()).toEqual([]);
  });
});
