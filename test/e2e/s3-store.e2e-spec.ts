import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, waitForJob } from '../support/client.js';
import { scannedPdf } from '../support/documents.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { freePort, startService, stopService } from '../support/process.js';
import { PrivateS3 } from '../support/s3-server.js';

const PREFIX = 'ocrflow/';

type Service = ReturnType<typeof startService>;

/** Starts a process of the service and waits until it answers on `port`. */
async function started(env: Record<string, string>, port: number): Promise<Service> {
  const child = startService(env);
  await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.ok ? true : undefined), 60_000).catch(
    (error) => {
      child.kill('SIGKILL');
      throw new Error(`${error}\n${child.output()}`);
    },
  );
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', resolve));
}

/**
 * Two machines, simulated: an API process and a worker process, each with an
 * empty folder of its own, sharing only PostgreSQL, Redis and an S3 endpoint.
 */
describe('API and worker sharing nothing but PostgreSQL, Redis and S3', () => {
  let env: TestEnv;
  let s3: PrivateS3;
  let bucket: S3Client;
  let folders: { api: string; worker: string };
  let api: Service;
  let worker: Service;
  let client: ApiClient;

  // Attempts to spare: a retry that comes while the bucket is still down fails again.
  // Warnings too: a failed attempt that will be retried is one.
  const s3Env = () => ({ ...env.env, ...s3.env(PREFIX), QUEUE_ATTEMPTS: '5', LOG_LEVEL: 'warn' });
  const objects = async () =>
    ((await bucket.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key!).sort();

  beforeAll(async () => {
    env = await createTestEnv('e2e_s3');
    s3 = new PrivateS3(await freePort());
    await s3.start();
    bucket = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    folders = { api: await mkdtemp(join(tmpdir(), 'ocrflow-api-')), worker: await mkdtemp(join(tmpdir(), 'ocrflow-worker-')) };
    const apiPort = await freePort();
    const workerPort = await freePort();
    [api, worker] = await Promise.all([
      started({ ...s3Env(), MODE: 'api', PORT: String(apiPort), ARTIFACT_STORE_PATH: folders.api }, apiPort),
      started({ ...s3Env(), MODE: 'worker', WORKER_PORT: String(workerPort), ARTIFACT_STORE_PATH: folders.worker }, workerPort),
    ]);
    client = new ApiClient(`http://127.0.0.1:${apiPort}`, await token('sam'));
  });

  afterAll(async () => {
    if (api) await stopService(api);
    if (worker) await stopService(worker);
    bucket?.destroy();
    await s3?.destroy();
    await Promise.all(Object.values(folders ?? {}).map((folder) => rm(folder, { recursive: true, force: true })));
    await env?.cleanup();
  });

  it('reads a multi-page scanned PDF and an image, storing them only in the bucket', async () => {
    const pdf = await client.submit(await scannedPdf([['Invoice 4417 page one'], ['Delivery note 5528'], ['Terms and conditions 6639']]), {
      fileName: 'scan.pdf',
    });
    const image = await client.submit(await textImage(['Receipt 8812', 'Paid in full']));

    const [pdfDone, imageDone] = await Promise.all([waitForJob(client, pdf.id), waitForJob(client, image.id)]);
    expect([pdfDone.status, imageDone.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const pdfText = (await client.json(`/jobs/${pdf.id}/results`)).body;
    expect(pdfText.pages.map((page: any) => page.text)).toEqual([
      expect.stringContaining('4417'),
      expect.stringContaining('5528'),
      expect.stringContaining('6639'),
    ]);
    expect((await client.json(`/jobs/${image.id}/results`)).body.text).toContain('8812');

    // The originals are in the bucket, under the prefix; neither machine's folder holds anything.
    expect(await objects()).toEqual(
      [pdf.id, image.id].map((id: string) => `${PREFIX}originals/${id.slice(0, 2)}/${id}`).sort(),
    );
    expect(await readdir(folders.api)).toEqual([]);
    expect(await readdir(folders.worker)).toEqual([]);

    const health = await client.json('/health');
    expect(health.body.details.storage.status).toBe('up');
  });

  it('answers 503 STORAGE_UNAVAILABLE while the bucket is down, stores nothing, and recovers', async () => {
    const jobsBefore = await env.sql('SELECT id FROM jobs');
    const objectsBefore = await objects();
    await s3.stop();
    try {
      const refused = await client.upload(await textImage(['During the outage']));
      expect(refused.status).toBe(503);
      const problem = (await refused.json()) as any;
      expect(problem).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      // The cause is in the API's log, on a line carrying the request id the client was given.
      const logged = await eventually(async () => {
        const line = api.output().split('\n').find((l) => l.includes('storing an upload failed'));
        return line && JSON.parse(line);
      }, 10_000);
      expect(logged).toMatchObject({ level: 50, requestId: problem.requestId, store: `bucket "${s3.bucket}" at ${s3.endpoint}` });
      expect(await env.sql('SELECT id FROM jobs')).toEqual(jobsBefore);

      // /health shares one check among the calls of a second: the outage shows within that.
      const health = await eventually(async () => {
        const res = await client.json('/health');
        return res.body.status === 'ok' ? undefined : res;
      }, 10_000);
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.details.storage.status).toBe('degraded');
    } finally {
      await s3.start();
    }
    expect(await objects()).toEqual(objectsBefore);
    const after = await client.submit(await textImage(['After the outage 9021']));
    expect((await waitForJob(client, after.id)).status).toBe('SUCCEEDED');
  });

  it('retries, and then finishes, a job whose document could not be fetched while the bucket was down', async () => {
    // With one job at a time, the second waits in the queue while the first runs.
    const first = await client.submit(await scannedPdf([['First 1101'], ['First 1102'], ['First 1103'], ['First 1104']]));
    // A page done: the first job has its document, and does not need the bucket again.
    await eventually(async () => ((await client.json(`/jobs/${first.id}`)).body.pages.done >= 1 ? true : undefined));
    const second = await client.submit(await textImage(['Second 2202']));
    await s3.stop();
    let retried: any;
    try {
      retried = await eventually(async () => {
        const line = worker.output().split('\n').find((l) => l.includes('processing failed; the queue retries it'));
        return line && JSON.parse(line);
      }, 150_000);
    } finally {
      await s3.start();
    }
    // Logged with what an operator needs: the job, the attempt, and the cause with its stack.
    expect(retried).toMatchObject({ level: 40, jobId: second.id, attempt: 1, err: { stack: expect.stringContaining('Error') } });
    const done = await waitForJob(client, second.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect((await client.json(`/jobs/${second.id}/results`)).body.text).toContain('2202');
    expect((await waitForJob(client, first.id)).status).toBe('SUCCEEDED');
  });

  it('refuses to start on a bucket that does not exist, naming bucket and endpoint but no credential', async () => {
    const port = await freePort();
    const child = startService({ ...s3Env(), MODE: 'api', PORT: String(port), ARTIFACT_STORE_BUCKET: 'no-such-bucket' });
    expect(await exited(child)).not.toBe(0);
    expect(child.output()).toContain(`artifact store bucket "no-such-bucket" at ${s3.endpoint} cannot be used: the bucket does not exist`);
    expect(child.output()).not.toContain('S3RVER');
  });
});
