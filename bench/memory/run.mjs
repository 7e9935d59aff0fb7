// Resident memory of a MODE=worker process on A4 pages at 300 dpi: idle (warm),
// peak while an N-page scanned PDF is processed, and after, for 1 and 2 OCR
// engines, against the target of 250 MB per engine. The worker's child
// processes (OCR_ENGINE=native runs one per engine) are counted with it: their
// RSS summed, and (run as root) their memory with each page counted once, as
// the kernel holds it and a container's memory limit counts it.
//
//   npm run build && node bench/memory/run.mjs
//   BENCH_MEM_PAGES=4 BENCH_MEM_ENGINES=1,2 node bench/memory/run.mjs
//   MALLOC_ARENA_MAX=2 node bench/memory/run.mjs     (OCR_*, MALLOC_*, UV_*, LD_PRELOAD and NODE_OPTIONS reach the worker)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { apiClient, benchEnv, freePort, pageLines, pagePng, ROOT, scannedPdf, startService } from '../documents/service.mjs';
import { descendants, footprint } from '../proc.mjs';

const PAGES = Number.parseInt(process.env.BENCH_MEM_PAGES ?? '4', 10);
const ENGINES = (process.env.BENCH_MEM_ENGINES ?? '1,2').split(',').map(Number);
const TARGET_MB = 250;
const MB = 1024 * 1024;

if (!existsSync(join(ROOT, 'dist/main.js'))) {
  console.error('run `npm run build` first');
  process.exit(2);
}

/** A process's memory figures from the kernel, in bytes; zeros once it has exited. */
function processStatus(pid) {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {}
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), hwm: kb('VmHWM') };
}

/** The worker's figures with its child processes' added (the peak, VmHWM, is the worker's own). */
function status(pid) {
  const own = processStatus(pid);
  for (const child of descendants(pid).map(processStatus)) {
    own.rss += child.rss;
    own.anon += child.anon;
    own.file += child.file;
  }
  return own;
}

/** The worker's and its children's memory with each page counted once; undefined when not root. */
const once = (pid) => footprint([pid, ...descendants(pid)]);

/** Lowest RSS over `seconds`: what the process holds, not what it is about to free. */
async function settled(pid, seconds = 5) {
  let low = { ...status(pid), once: once(pid) };
  for (let i = 0; i < seconds * 2; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = status(pid);
    if (now.rss < low.rss) low = { ...now, once: once(pid) };
  }
  return low;
}

/** Resets the kernel's peak (VmHWM) so it covers only what follows; false where not allowed. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const passThrough = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(OCR_|MALLOC_|UV_|NODE_OPTIONS$)/.test(k)));
const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-mem-'));
const { env, drop } = await benchEnv('mem', work);
const apiPort = await freePort();
const api = await startService({ ...env, MODE: 'api', PORT: String(apiPort) }, `http://127.0.0.1:${apiPort}/health/live`);
const client = await apiClient(`http://127.0.0.1:${apiPort}`);
const pdf = await scannedPdf(Array.from({ length: PAGES }, (_, n) => pageLines(n + 1)));
// Warm-up: a small page, so that "idle" is a worker whose engines and reader have run once.
const warm = await sharp(await pagePng(pageLines(0).slice(0, 6))).resize({ width: 1240 }).png().toBuffer();
const rows = [];
try {
  for (const engines of ENGINES) {
    const workerPort = await freePort();
    const worker = await startService(
      { ...env, ...passThrough, MODE: 'worker', WORKER_PORT: String(workerPort), OCR_WORKERS: String(engines), QUEUE_CONCURRENCY: '1' },
      `http://127.0.0.1:${workerPort}/health/live`,
    );
    const pid = worker.child.pid;
    try {
      const warmed = await client.finished(await client.submit(warm, 'warm.png'));
      if (warmed.status !== 'SUCCEEDED') throw new Error(`warm-up ended ${warmed.status}`);
      const idle = await settled(pid);
      const hwm = resetPeak(pid);
      let peak = status(pid).rss;
      let peakOnce = idle.once;
      const sampler = setInterval(() => (peak = Math.max(peak, status(pid).rss)), 50);
      // Reading every mapped page's frame takes tens of ms: sampled less often, so its peak may fall a little short.
      const onceSampler = setInterval(() => (peakOnce = peakOnce === undefined ? undefined : Math.max(peakOnce, once(pid) ?? 0)), 250);
      const started = performance.now();
      const job = await client.finished(await client.submit(pdf, 'scan.pdf'));
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      clearInterval(onceSampler);
      if (job.status !== 'SUCCEEDED') throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);
      // The worker's own peak, and what its children held at the end, when that is more than was sampled.
      if (hwm) peak = Math.max(peak, status(pid).hwm + status(pid).rss - processStatus(pid).rss);
      const after = await settled(pid, 10);
      rows.push({ engines, idle, peak, peakOnce, after, seconds });
    } finally {
      await worker.stop();
    }
  }
} finally {
  await api.stop();
  await drop();
  rmSync(work, { recursive: true, force: true });
}

const mb = (bytes) => String(Math.round(bytes / MB)).padStart(5);
console.log(`worker RSS (MODE=worker), ${PAGES}-page scanned PDF, A4 at 300 dpi; ${availableParallelism()} cores, ${Math.round(totalmem() / MB / 1024)} GB`);
console.log(`target: under ${TARGET_MB} MB per engine${Object.keys(passThrough).length ? `; env: ${Object.entries(passThrough).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}\n`);
console.log('engines  idle MB  peak MB  after MB  peak/engine  target  anon/file idle  anon/file after  job s');
const verdict = (perEngine) => (perEngine < TARGET_MB * MB ? ' met ' : 'MISSED');
for (const { engines, idle, peak, after, seconds } of rows) {
  console.log(
    `${String(engines).padStart(7)}  ${mb(idle.rss)}    ${mb(peak)}    ${mb(after.rss)}     ${mb(peak / engines)}     ${verdict(peak / engines)}` +
      `   ${mb(idle.anon)} /${mb(idle.file)}    ${mb(after.anon)} /${mb(after.file)}   ${seconds.toFixed(1).padStart(5)}`,
  );
}
if (rows.every((row) => row.peakOnce !== undefined)) {
  console.log('\neach page counted once (anonymous memory, plus the distinct pages of mapped files: the Node binary and libraries once, not once per process)');
  console.log('engines  idle MB  peak MB  after MB  peak/engine  target');
  for (const { engines, idle, peakOnce, after } of rows) {
    console.log(`${String(engines).padStart(7)}  ${mb(idle.once)}    ${mb(peakOnce)}    ${mb(after.once)}     ${mb(peakOnce / engines)}     ${verdict(peakOnce / engines)}`);
  }
}
