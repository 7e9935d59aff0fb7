// A 1 MB PDF whose page content is a 1 GiB flate stream: the job's outcome,
// its time, and the service's peak RSS (sampled every 50 ms from /proc).
import { readFileSync } from 'node:fs';
import { createDeflate } from 'node:zlib';
import { PDFDocument, PDFName } from 'pdf-lib';

async function bomb() {
  const deflate = createDeflate({ level: 9 });
  const parts = [];
  deflate.on('data', (part) => parts.push(part));
  const ended = new Promise((done) => deflate.once('end', done));
  const chunk = Buffer.alloc(64 << 20, 0x20);
  for (let i = 0; i < 16; i++) if (!deflate.write(chunk)) await new Promise((done) => deflate.once('drain', done));
  deflate.end();
  await ended;
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([595, 842]);
  page.node.set(PDFName.of('Contents'), pdf.context.register(pdf.context.stream(Buffer.concat(parts), { Filter: 'FlateDecode' })));
  return Buffer.from(await pdf.save());
}

const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) * 1024;

export default async function ({ client, service }) {
  const file = await bomb();
  const pid = service.child.pid;
  const before = rss(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
  const started = performance.now();
  const job = await client.finished(await client.submit(file, 'bomb.pdf'));
  clearInterval(sampler);
  const MB = 2 ** 20;
  console.log(JSON.stringify({ fileMB: +(file.length / MB).toFixed(2), status: job.status, error: job.error?.code, seconds: +((performance.now() - started) / 1000).toFixed(1), rssBeforeMB: Math.round(before / MB), peakRssMB: Math.round(peak / MB) }));
}
