// A 10-page scanned PDF cancelled while it runs, three times: how long the
// cancel took to answer, and how long until the worker started the next job,
// queued behind it before the cancel (run with QUEUE_CONCURRENCY=1, so that is
// when it let the cancelled one go) and until that job succeeded.
import { readFileSync } from 'node:fs';
import { pageLines, scannedPdf } from '../documents/service.mjs';

const invoice = new URL('../../test/fixtures/invoice.png', import.meta.url);

export default async function ({ base, client }) {
  const pdf = await scannedPdf(Array.from({ length: 10 }, (_, n) => pageLines(n + 1)));
  for (let round = 0; round < 3; round++) {
    const id = await client.submit(pdf, 'scan.pdf');
    while ((await client.get(`/jobs/${id}`)).pages.done < 1 + round) await new Promise((r) => setTimeout(r, 50));
    const next = await client.submit(readFileSync(invoice), 'invoice.png');
    const cancelledAt = Date.now();
    const res = await fetch(`${base}/jobs/${id}/cancel`, { method: 'POST', headers: client.headers });
    const answeredMs = Date.now() - cancelledAt;
    const job = await client.finished(next);
    console.log(JSON.stringify({
      round,
      status: res.status,
      answeredMs,
      workerFreeAfterMs: Date.parse(job.startedAt) - cancelledAt,
      nextSucceededAfterMs: Date.parse(job.finishedAt) - cancelledAt,
    }));
  }
}
