import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, deleteQueueKeys, eventually, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort, startService, stopService } from '../support/process.js';
import { WEBHOOK_SECRET, WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The outbox's promise: every job event gets its delivery exactly once, even
 * when the worker that finished the job never created it, or Redis lost the
 * queued delivery. Workers run as their own processes, as deployed.
 */
describe('webhook outbox (MODE=api, workers as separate processes)', () => {
  let env: TestEnv;
  let api: RunningApp;
  let alice: ApiClient;
  const receiver = new WebhookReceiver();
  let base: string;
  const workers: ReturnType<typeof startService>[] = [];

  const webhookWorker = async (extra: Record<string, string> = {}) => {
    const worker = startService({
      ...env.env,
      MODE: 'worker',
      WORKER_PORT: String(await freePort()),
      WEBHOOK_SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // Retries wait ten minutes: only the sweep can bring a lost delivery back within the test.
      WEBHOOK_BACKOFF_MS: '600000',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_GRACE_MS: '0',
      ...extra,
    });
    workers.push(worker);
    return worker;
  };
  const deliveries = async (jobId: string) => (await alice.json(`/jobs/${jobId}/webhooks`)).body.items as any[];

  beforeAll(async () => {
    env = await createTestEnv('e2e_webhook_outbox');
    base = await receiver.start();
    api = await startApp(env, { MODE: 'api', WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE: 'true' });
    alice = await api.client('alice');
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => stopService(worker)));
    await api?.app.close();
    await receiver.stop();
    await env?.cleanup();
  });

  it('delivers, once, the end of a job whose worker never created its delivery, even with two workers sweeping', async () => {
    // This worker has no WEBHOOK_SECRET: it finishes the job and creates no
    // delivery, the state a worker that died right after the commit leaves.
    const plain = startService({ ...env.env, MODE: 'worker', WORKER_PORT: String(await freePort()) });
    workers.push(plain);
    const job = await alice.submit(await textImage(['Outbox 1']), { fields: { callbackUrl: `${base}/late` } });
    expect((await waitForJob(alice, job.id)).status).toBe('SUCCEEDED');
    expect(await stopService(plain)).toBe(0);
    expect(await deliveries(job.id)).toEqual([]);
    expect(receiver.at('/late')).toEqual([]);

    await webhookWorker();
    await webhookWorker();
    const [hook] = await eventually(async () => (receiver.at('/late').length > 0 ? receiver.at('/late') : undefined));
    expect(hook!.json).toMatchObject({ type: 'job.succeeded', data: { jobId: job.id, status: 'SUCCEEDED' } });
    // Several sweeps of both workers later, still one delivery and one request.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(receiver.at('/late')).toHaveLength(1);
    const listed = await deliveries(job.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: 'delivered', attempts: [{ number: 1, statusCode: 200 }] });
  });

  it('queues again a pending delivery that Redis lost, and it arrives', async () => {
    receiver.answer('/flushed', 503, 200);
    const job = await alice.submit(await textImage(['Outbox 2']), { fields: { callbackUrl: `${base}/flushed` } });
    await waitForJob(alice, job.id);
    await eventually(async () => ((await deliveries(job.id))[0]?.attempts.length === 1 ? true : undefined));
    expect((await deliveries(job.id))[0]).toMatchObject({ status: 'pending', attempts: [{ statusCode: 503 }] });

    // Every worker stops; Redis loses everything (a restart without persistence); a worker comes back.
    await Promise.all(workers.map((worker) => stopService(worker)));
    await deleteQueueKeys(env.queuePrefix);
    await webhookWorker();

    const delivered = await eventually(async () => {
      const [delivery] = await deliveries(job.id);
      return delivery?.status === 'delivered' ? delivery : undefined;
    });
    expect(delivered.attempts.map((a: any) => a.statusCode)).toEqual([503, 200]);
    expect(receiver.at('/flushed')).toHaveLength(2);
  });
});
