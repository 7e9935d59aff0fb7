import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueConnection } from '../../src/infra/redis/queue-connection.js';
import { OcrJobProducer } from '../../src/jobs/ocr-job.producer.js';
import { ocrJobPayload, ocrQueueJobId, QueueName } from '../../src/jobs/queue-contract.js';
import { createTestEnv, REDIS_URL, type TestEnv } from '../support/harness.js';

describe('OCR queue contract on Redis', () => {
  let env: TestEnv;
  let queue: Queue;

  beforeAll(async () => {
    env = await createTestEnv('int_queue');
    queue = new Queue(QueueName.OCR, { connection: { url: REDIS_URL }, prefix: env.queuePrefix });
  });
  afterAll(async () => {
    await queue?.close();
    await env?.cleanup();
  });

  it('enqueues a versioned pointer once, however often it is asked', async () => {
    const config = env.config();
    const connection = new QueueConnection(config);
    const producer = new OcrJobProducer(queue, connection, config);
    const jobId = randomUUID();
    await producer.enqueue(jobId);
    await producer.enqueue(jobId);
    expect(await queue.count()).toBe(1);
    const job = await queue.getJob(ocrQueueJobId(jobId));
    expect(ocrJobPayload.parse(job?.data)).toEqual({ v: 1, jobId });
    expect(job?.opts.attempts).toBe(3);
    await connection.onApplicationShutdown();
  });
});
