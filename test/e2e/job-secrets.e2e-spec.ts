import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { encryptPdf, textPdf } from '../support/documents.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';
import { freePort, startService, stopService } from '../support/process.js';

/** A PDF's password at rest, with API and worker in separate processes. */
describe('PDF passwords at rest (JOB_SECRETS_KEY)', () => {
  const key = randomBytes(32).toString('base64');
  let env: TestEnv;
  let api: RunningApp;
  let client: ApiClient;
  const worker = async (overrides: Record<string, string>) =>
    startService({ ...env.env, LOG_LEVEL: 'info', MODE: 'worker', WORKER_PORT: String(await freePort()), ...overrides });
  const stored = async (id: string) => (await env.sql<{ password: string | null }>('SELECT password FROM jobs WHERE id = $1', [id]))[0]!.password;

  beforeAll(async () => {
    env = await createTestEnv('e2e_job_secrets');
    api = await startApp(env, { MODE: 'api', JOB_SECRETS_KEY: key });
    client = await api.client('ivy');
  });
  afterAll(async () => {
    await api?.app.close();
    await env?.cleanup();
  });

  it('keeps a waiting job’s password encrypted, opens it in a worker with the same key, and drops it when the job ends', async () => {
    const pdf = await encryptPdf(await textPdf([['Quarterly figures, sealed']]), 'Tr0ub4dor&3');
    const { id } = await client.submit(pdf, { fields: { password: 'Tr0ub4dor&3' } });
    const sealed = await stored(id);
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('Tr0ub4dor');

    const right = await worker({ JOB_SECRETS_KEY: key });
    try {
      expect(await waitForJob(client, id)).toMatchObject({ status: 'SUCCEEDED' });
      expect((await client.json(`/jobs/${id}/results`)).body.text).toBe('Quarterly figures, sealed');
      expect(await stored(id)).toBeNull();
    } finally {
      await stopService(right);
    }
  });

  it('fails the job PASSWORD_UNREADABLE, with the reason in the worker’s log, when the worker has another key', async () => {
    const pdf = await encryptPdf(await textPdf([['Never opened']]), 'pw-123456');
    const { id } = await client.submit(pdf, { fields: { password: 'pw-123456' } });
    const wrong = await worker({ JOB_SECRETS_KEY: randomBytes(32).toString('base64') });
    try {
      expect(await waitForJob(client, id)).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'PASSWORD_UNREADABLE' } });
      expect(await stored(id)).toBeNull();
      expect(wrong.output()).toContain('is JOB_SECRETS_KEY the same in every API and worker process?');
    } finally {
      await stopService(wrong);
    }
  });

  it('an API process without a key refuses a password with 501 PASSWORD_UNSUPPORTED and stores nothing; other uploads go on', async () => {
    const keyless = await startApp(env, { MODE: 'api' });
    try {
      const before = await env.sql('SELECT count(*)::int AS n FROM jobs');
      const files = await env.artifactFiles();
      const keylessClient = await keyless.client('ivy');
      const refused = await keylessClient.upload(await textPdf([['x']]), { fields: { password: 'pw' } });
      expect(refused.status).toBe(501);
      expect(await refused.json()).toMatchObject({ code: 'PASSWORD_UNSUPPORTED' });
      expect(await env.sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
      expect(await env.artifactFiles()).toEqual(files);
      expect((await keylessClient.upload(await textPdf([['y']]))).status).toBe(202);
    } finally {
      await keyless.app.close();
    }
  });
});
