// How long the event loop of a MODE=all service stalls while it reads large
// pages: BullMQ renews a job's lock from the event loop every half
// QUEUE_LOCK_DURATION_MS (15 s), so a stall that long would let another worker
// take the job. Reads a 10-page A4 scan at 300 dpi and a 7,000 x 7,000 image
// of dense text, and prints the loop's delay percentiles and maximum over the
// run (prom-client's monitorEventLoopDelay, reset by the first scrape).
// OUTPUTS=text,json,pdf,hocr,alto,tsv asks for every output as well, made in
// the worker when each job's pages are done.
//   npm run build && EXTRA='{"ENABLE_METRICS":"true"}' node bench/probes/run.mjs bench/probes/event-loop.mjs
import sharp from 'sharp';
import { pageLines, scannedPdf } from '../documents/service.mjs';

async function denseImage(side) {
  const lines = Array.from({ length: 120 }, (_, i) => pageLines(i + 1)[i % 26]);
  const text = lines.map((l, i) => `<text x="100" y="${120 + i * 57}">${l} ${l}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="100%" height="100%" fill="white"/><g font-family="DejaVu Sans, sans-serif" font-size="40">${text}</g></svg>`;
  return sharp(Buffer.from(svg), { limitInputPixels: false }).flatten({ background: '#fff' }).greyscale().png().toBuffer();
}

export default async function ({ base, client }) {
  const metrics = async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: client.headers })).text();
    const value = (name) => Number(text.match(new RegExp(`^ocrflow_nodejs_eventloop_lag_${name}_seconds (\\S+)`, 'm'))?.[1] ?? NaN) * 1000;
    return { p50: value('p50'), p99: value('p99'), max: value('max') };
  };
  await metrics();
  const started = Date.now();
  const fields = process.env.OUTPUTS ? { outputs: process.env.OUTPUTS } : {};
  const ids = [
    await client.submit(await scannedPdf(Array.from({ length: 10 }, (_, n) => pageLines(n + 1))), 'scan.pdf', fields),
    await client.submit(await denseImage(7000), 'dense.png', fields),
  ];
  const jobs = [];
  for (const id of ids) jobs.push(await client.finished(id));
  const lag = await metrics();
  console.log(JSON.stringify({
    jobs: jobs.map((j) => `${j.status} ${j.pages.done}/${j.pages.total}`),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    eventLoopDelayMs: Object.fromEntries(Object.entries(lag).map(([k, v]) => [k, Math.round(v)])),
  }));
}
