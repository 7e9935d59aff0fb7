import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The very function docs/webhooks.md shows receivers (a test below keeps the two identical).
import { verifyWebhook } from '../../docs/examples/verify-webhook.mjs';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { scannedPdf } from '../support/documents.js';
import { WEBHOOK_SECRET, WebhookReceiver } from '../support/webhook-receiver.js';

describe('webhooks (MODE=all, a real receiver on 127.0.0.1)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;
  const receiver = new WebhookReceiver();
  let base: string;

  beforeAll(async () => {
    env = await createTestEnv('e2e_webhooks');
    base = await receiver.start();
    running = await startApp(env, {
      MODE: 'all',
      WEBHOOK_SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_BACKOFF_MS: '200',
      WEBHOOK_ATTEMPTS: '4',
      ENABLE_METRICS: 'true',
    });
    alice = await running.client('alice');
  });
  afterAll(async () => {
    await running?.app.close();
    await receiver.stop();
    await env?.cleanup();
  });

  const deliveries = async (client: ApiClient, jobId: string) => {
    const { status, body } = await client.json(`/jobs/${jobId}/webhooks`);
    expect(status).toBe(200);
    return body.items as any[];
  };

  it("sends the job's end once, signed: the docs' snippet and the Standard Webhooks library both verify it", async () => {
    const job = await alice.submit(await textImage(['Webhook 4711']), { fields: { callbackUrl: `${base}/done` } });
    expect((await waitForJob(alice, job.id)).status).toBe('SUCCEEDED');
    const [hook] = await eventually(async () => (receiver.at('/done').length > 0 ? receiver.at('/done') : undefined));

    expect(verifyWebhook(WEBHOOK_SECRET, hook!.headers, hook!.body)).toBe(true);
    expect(new Webhook(WEBHOOK_SECRET).verify(hook!.body, hook!.headers as Record<string, string>)).toEqual(hook!.json);
    // A byte changed, or another secret, and it no longer verifies.
    expect(verifyWebhook(WEBHOOK_SECRET, hook!.headers, hook!.body.replace('SUCCEEDED', 'FAILED'))).toBe(false);
    expect(verifyWebhook(`whsec_${Buffer.from('another key of thirty-two bytes!').toString('base64')}`, hook!.headers, hook!.body)).toBe(false);

    expect(hook!.json).toMatchObject({
      type: 'job.succeeded',
      timestamp: expect.any(String),
      data: { jobId: job.id, seq: expect.any(Number), status: 'SUCCEEDED', pages: { total: 1, done: 1, failed: 0 }, links: { results: `/jobs/${job.id}/results` } },
    });
    const [delivery] = await eventually(async () => {
      const items = await deliveries(alice, job.id);
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(delivery).toMatchObject({ id: hook!.headers['webhook-id'], event: 'job.succeeded', target: 'callback', url: `${base}/done`, sequence: 1 });
    expect(delivery.attempts).toEqual([expect.objectContaining({ number: 1, statusCode: 200, error: null, responseBody: 'ok' })]);
    // No page events unless asked for.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.at('/done').map((h) => h.json.type)).toEqual(['job.succeeded']);
  });

  it('retries a receiver answering 500 twice, then 200: three attempts, all listed; a redelivery is a fourth, same id and body', async () => {
    receiver.answer('/flaky', 500, 500, 200);
    const job = await alice.submit(await textImage(['Flaky receiver']), { fields: { callbackUrl: `${base}/flaky` } });
    await waitForJob(alice, job.id);
    const [delivery] = await eventually(async () => {
      const items = await deliveries(alice, job.id);
      return items[0]?.status === 'delivered' ? items : undefined;
    });
    expect(delivery.attempts.map((a: any) => [a.number, a.statusCode])).toEqual([[1, 500], [2, 500], [3, 200]]);
    expect(delivery.attempts[0].responseBody).toBe('receiver says 500');
    const hooks = receiver.at('/flaky');
    expect(hooks).toHaveLength(3);
    expect(new Set(hooks.map((h) => h.headers['webhook-id']))).toEqual(new Set([delivery.id]));
    expect(new Set(hooks.map((h) => h.body)).size).toBe(1);

    const redelivered = await alice.postJson(`/jobs/${job.id}/webhooks/${delivery.id}/redeliver`, {});
    expect(redelivered).toMatchObject({ status: 202, body: { id: delivery.id, status: 'pending', sequence: 2 } });
    const again = await eventually(async () => {
      const [item] = await deliveries(alice, job.id);
      return item.status === 'delivered' && item.sequence === 2 ? item : undefined;
    });
    expect(again.attempts.map((a: any) => [a.number, a.sequence, a.statusCode])).toEqual([[1, 1, 500], [2, 1, 500], [3, 1, 200], [4, 2, 200]]);
    expect(receiver.at('/flaky')).toHaveLength(4);
    expect(receiver.at('/flaky')[3]!.body).toBe(hooks[0]!.body);
    expect(verifyWebhook(WEBHOOK_SECRET, receiver.at('/flaky')[3]!.headers, hooks[0]!.body)).toBe(true);

    const metrics = await (await fetch(`${await running.app.getUrl()}/metrics`)).text();
    expect(metrics).toMatch(/ocrflow_webhook_deliveries_total\{event="job.succeeded",outcome="delivered"\} [2-9]/);
    expect(metrics).toMatch(/ocrflow_webhook_attempt_duration_seconds_count\{result="http_error"\} 2/);
  });

  it('gives up after WEBHOOK_ATTEMPTS and says so: failed, every attempt with its answer', async () => {
    receiver.answer('/down', 503);
    const job = await alice.submit(await textImage(['Receiver down']), { fields: { callbackUrl: `${base}/down` } });
    await waitForJob(alice, job.id);
    const [delivery] = await eventually(async () => {
      const items = await deliveries(alice, job.id);
      return items[0]?.status === 'failed' ? items : undefined;
    });
    expect(delivery.attempts.map((a: any) => a.statusCode)).toEqual([503, 503, 503, 503]);
  });

  it('sends job.page_completed only to a job that asked for it', async () => {
    const pdf = await scannedPdf([['First page'], ['Second page']]);
    const job = await alice.submit(pdf, { fileName: 'two.pdf', fields: { callbackUrl: `${base}/pages`, callbackEvents: 'job.page_completed, job.succeeded' } });
    await waitForJob(alice, job.id);
    const hooks = await eventually(async () => (receiver.at('/pages').length >= 3 ? receiver.at('/pages') : undefined));
    const types = hooks.map((h) => h.json.type);
    expect(types.sort()).toEqual(['job.page_completed', 'job.page_completed', 'job.succeeded']);
    const pages = hooks.filter((h) => h.json.type === 'job.page_completed').map((h) => h.json.data.page.number);
    expect(pages.sort()).toEqual([1, 2]);
    expect(hooks.every((h) => verifyWebhook(WEBHOOK_SECRET, h.headers, h.body))).toBe(true);
  });

  it("keeps another subject's deliveries a 404, like the job itself; redelivering needs jobs:write", async () => {
    const job = await alice.submit(await textImage(['Private job']), { fields: { callbackUrl: `${base}/private` } });
    await waitForJob(alice, job.id);
    const [delivery] = await eventually(async () => {
      const items = await deliveries(alice, job.id);
      return items.length > 0 ? items : undefined;
    });
    const bob = await running.client('bob');
    expect((await bob.json(`/jobs/${job.id}/webhooks`)).body).toMatchObject({ code: 'NOT_FOUND' });
    expect((await bob.get(`/jobs/${job.id}/webhooks`)).status).toBe(404);
    expect(await bob.postJson(`/jobs/${job.id}/webhooks/${delivery.id}/redeliver`, {})).toMatchObject({ status: 404 });
    const readOnly = alice.as(await token('alice', undefined, 'jobs:read'));
    expect((await readOnly.postJson(`/jobs/${job.id}/webhooks/${delivery.id}/redeliver`, {})).status).toBe(403);
    expect((await alice.postJson(`/jobs/${job.id}/webhooks/${crypto.randomUUID()}/redeliver`, {})).status).toBe(404);
  });

  it('refuses a malformed callback at upload, whatever the allow flag', async () => {
    for (const url of ['ftp://example.com/hook', 'http://user:pw@example.com/hook', 'not a url', `https://example.com/${'a'.repeat(2100)}`]) {
      const res = await alice.upload(await textImage(['x']), { fields: { callbackUrl: url } });
      expect([res.status, ((await res.json()) as any).code]).toEqual([400, 'CALLBACK_URL_INVALID']);
    }
    const res = await alice.upload(await textImage(['x']), { fields: { callbackEvents: 'job.succeeded' } });
    expect(res.status).toBe(400);
    const unknown = await alice.upload(await textImage(['x']), { fields: { callbackUrl: `${base}/x`, callbackEvents: 'job.exploded' } });
    expect([unknown.status, ((await unknown.json()) as any).code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('shows receivers the same verification code the docs print', () => {
    const snippet = readFileSync(new URL('../../docs/examples/verify-webhook.mjs', import.meta.url), 'utf8');
    expect(readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8')).toContain(snippet.trim());
  });
});

describe('callback URLs without WEBHOOK_ALLOW_PRIVATE (MODE=api)', () => {
  let env: TestEnv;
  let running: RunningApp;

  beforeAll(async () => {
    env = await createTestEnv('e2e_webhooks_ssrf');
    running = await startApp(env, { MODE: 'api', WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('refuses loopback, private, link-local, CGNAT, unique-local, mapped and unspecified addresses with 400 CALLBACK_URL_FORBIDDEN', async () => {
    const alice = await running.client('alice');
    const image = await textImage(['x']);
    const urls = [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://224.0.0.1/',
      'http://[::1]/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:10.0.0.1]/hook',
      'http://[::]/',
    ];
    for (const url of urls) {
      const res = await alice.upload(image, { fields: { callbackUrl: url } });
      expect([url, res.status, ((await res.json()) as any).code]).toEqual([url, 400, 'CALLBACK_URL_FORBIDDEN']);
    }
    // Nothing was stored for them.
    expect(await env.sql('SELECT id FROM jobs')).toEqual([]);
  });
});
