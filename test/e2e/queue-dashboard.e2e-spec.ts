import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { JWT_SECRET, createTestEnv, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

describe('queue dashboard (Bull Board) at /admin/queues, admins only', () => {
  let env: TestEnv;
  let running: RunningApp;
  let url: string;

  beforeAll(async () => {
    env = await createTestEnv('e2e_dashboard');
    running = await startApp(env, { MODE: 'api' });
    url = `${await running.app.getUrl()}/admin/queues`;
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('asks a browser for credentials, and refuses tokens without the admin scope', async () => {
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="ocrflow admin"/);
    expect(((await anonymous.json()) as any).code).toBe('UNAUTHORIZED');

    const user = await fetch(url, { headers: { authorization: basic(await token('alice')) } });
    expect([user.status, ((await user.json()) as any).code]).toEqual([403, 'FORBIDDEN']);
    const forged = await fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${await token('eve', 'not-the-secret-but-long-enough-to-sign', 'admin')}` } });
    expect(forged.status).toBe(401);
  });

  it('shows the OCR queue to an admin, read-only', async () => {
    const alice = await running.client('alice');
    await alice.submit(await textImage(['Waiting for a worker']));
    const admin = await token('operator', JWT_SECRET, 'admin');

    const page = await fetch(url, { headers: { authorization: basic(admin) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('static/js/main');

    const api = await fetch(`${url}/api/queues?activeQueue=ocr&status=waiting`, { headers: { authorization: `Bearer ${admin}` } });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as any;
    const ocr = queues.find((q: any) => q.name === 'ocr');
    expect(ocr.readOnlyMode).toBe(true);
    expect(ocr.counts.waiting).toBe(1);

    // No actions: cleaning the queue is refused and the job stays.
    const clean = await fetch(`${url}/api/queues/ocr/clean/waiting`, { method: 'PUT', headers: { authorization: `Bearer ${admin}` } });
    expect(clean.status).toBeGreaterThanOrEqual(400);
    const after = (await (await fetch(`${url}/api/queues?activeQueue=ocr`, { headers: { authorization: `Bearer ${admin}` } })).json()) as any;
    expect(after.queues.find((q: any) => q.name === 'ocr').counts.waiting).toBe(1);
  });
});
