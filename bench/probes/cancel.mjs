// A 10-page scanned PDF cancelled while it runs, three times: how long the
// cancel took to answer, and how long until the worker started the next job
// (run with QUEUE_CONCURRENCY=1, so that is when it let the cancelled one go).
import { readFileSync } from 'node:fs';
import { pageLines, scannedPdf } from '../documents/service.mjs';

const invoice = new URL('../../test/fixtures/invoice.png', import.meta.url);

export default async function ({ base, client }) {
  const pdf = await scannedPdf(Array.from({ length: 10 }, (_, n) => pageLines(n + 1)));
  for (let round = 0; round < 3; round++) {
    const id = await client.submit(pdf, 'scan.pdf');
    while ((await client.get(`/jobs/${id}`)).pages.done < 1 + round) await new Promise((r) => setTimeout(r, 50));
    const cancelledAt = Date.now();
    const res = await fetch(`${base}/jobs/${id}/cancel`, { method: 'POST', headers: client.headers });
    const answeredMs = Date.now() - cancelledAt;
    const next = await client.submit(readFileSync(invoice), 'invoice.png');
    let job;
    while (!(job = await client.get(`/jobs/${next}`)).startedAt) await new Promise((r) => setTimeout(r, 20));
    await client.finished(next);
    console.log(JSON.stringify({ round, status: res.status, answeredMs, workerFreeAfterMs: Date.parse(job.startedAt) - cancelledAt }));
  }
}
