// Single-document latency: one receipt through the warm service (MODE=all,
// upload → `succeeded` on the job's event stream), one at a time, against the native
// `tesseract <file> -` on the same file, start-up included, in the same run.
//
//   npm run build && node bench/latency/run.mjs
//   BENCH_LATENCY_N=10 node bench/latency/run.mjs     (uploads per receipt, default 5)
//   OCR_ENGINE=native node bench/latency/run.mjs      (any OCR_* variable reaches the service)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { apiClient, benchEnv, freePort, ocrSettings, ROOT, startService } from '../documents/service.mjs';
import { nativeVersion } from '../ocr/native.mjs';

const N = Math.max(1, Number.parseInt(process.env.BENCH_LATENCY_N ?? '5', 10) || 5);
const CORES = availableParallelism();
const corpus = process.env.OCRFLOW_CORPUS ?? join(ROOT, '../shared/corpus');
const sroie = join(corpus, 'sroie/img');
/** The corpus's first three receipts: 0.5, 8.7 (an A4 scan) and 1.7 megapixels. */
const files = existsSync(sroie) ? readdirSync(sroie).filter((f) => f.endsWith('.jpg')).sort().slice(0, 3).map((f) => join(sroie, f)) : [];

const native = nativeVersion();
if (!native || !existsSync(join(ROOT, 'dist/main.js'))) {
  console.error('needs `apt-get install -y tesseract-ocr` and `npm run build` first');
  process.exit(2);
}
if (files.length === 0) {
  console.error(`no SROIE receipts under ${corpus}/sroie/img: set OCRFLOW_CORPUS`);
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${Math.round(x)} ms`.padStart(8);

/** `tesseract <file> -` wall time as a user runs it; `threads` sets OMP_THREAD_LIMIT when given. */
function cli(file, threads) {
  const env = { ...process.env };
  if (threads) env.OMP_THREAD_LIMIT = String(threads);
  else delete env.OMP_THREAD_LIMIT;
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    execFile('tesseract', [file, '-'], { env, maxBuffer: 16 * 1024 * 1024 }, (error) =>
      error ? reject(error) : resolve(performance.now() - t0),
    ),
  );
}

const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-latency-'));
const { env, databaseUrl, drop } = await benchEnv('latency', work);
const ocrEnv = ocrSettings();
const port = await freePort();
const startT0 = performance.now();
const service = await startService({ ...env, ...ocrEnv, MODE: 'all', PORT: String(port) }, `http://127.0.0.1:${port}/health/ready`);
const startMs = performance.now() - startT0;
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const results = [];
try {
  const base = `http://127.0.0.1:${port}`;
  const client = await apiClient(base);
  const done = (id) => client.settled(id);
  // Warm-up: the first job pays lazy initialisation (the first page on each
  // engine is slower, connections are opened) that a running service paid long ago.
  for (const file of files) await done(await client.submit(readFileSync(file), 'warm.jpg'));

  for (const file of files) {
    const data = readFileSync(file);
    const row = { file: file.split('/').at(-1), kb: Math.round(data.length / 1024), ocrflow: [], upload: [], pickup: [], work: [], stages: [], cli: [], cli1: [] };
    for (let i = 0; i < N; i++) {
      // Interleaved, so that a busy moment of the machine hits both sides alike.
      row.cli.push(await cli(file));
      row.cli1.push(await cli(file, 1));
      const t0 = performance.now();
      const id = await client.submit(data, row.file);
      row.upload.push(performance.now() - t0);
      const outcome = await done(id);
      row.ocrflow.push(performance.now() - t0);
      if (outcome !== 'succeeded') throw new Error(`job ${id} ended ${outcome}: ${JSON.stringify(await client.get(`/jobs/${id}`))}`);
      const { rows } = await db.query(
        `SELECT j.created_at, j.started_at, j.finished_at, p.timings FROM jobs j JOIN job_pages p ON p.job_id = j.id WHERE j.id = $1`,
        [id],
      );
      const [r] = rows;
      row.pickup.push(r.started_at - r.created_at);
      row.work.push(r.finished_at - r.started_at);
      // The worker's per-document totals: opening the reader's thread, and saving pages.
      const line = service.log().split('\n').find((l) => l.includes('document processed') && l.includes(id));
      const totals = line ? JSON.parse(line).ms : {};
      row.stages.push({ ...r.timings, open: totals.open, save: totals.save });
    }
    results.push(row);
    process.stderr.write(`${row.file}: ocrflow ${Math.round(median(row.ocrflow))} ms, CLI ${Math.round(median(row.cli))} ms\n`);
  }
} finally {
  await db.end().catch(() => undefined);
  await service.stop();
  await drop();
  rmSync(work, { recursive: true, force: true });
}

const settings = Object.entries(ocrEnv).map(([k, v]) => `${k}=${v}`).join(' ') || 'default OCR settings';
console.log(`\nSingle-receipt latency, MODE=all (${settings}), warm service (started in ${(startMs / 1000).toFixed(1)} s), one upload at a time, median of ${N}`);
console.log(`machine: ${CORES} cores, node ${process.version}; ${native.tesseract}; reference: \`tesseract <file> -\` (Debian model, PSM 3), start-up included\n`);
console.log(`${'receipt'.padEnd(18)} ${'ocrflow'.padStart(8)} ${'CLI'.padStart(8)} ${'CLI OMP=1'.padStart(9)}  ratio   |  upload  pickup    work    open    read  orient.     OCR    save`);
for (const r of results) {
  const stage = (name) => median(r.stages.map((s) => s?.[name] ?? 0));
  const best = Math.min(median(r.cli), median(r.cli1));
  console.log(
    `${`${r.file} ${r.kb}K`.padEnd(18)} ${ms(median(r.ocrflow))} ${ms(median(r.cli))} ${ms(median(r.cli1)).padStart(9)}  ${(median(r.ocrflow) / best).toFixed(2)}x  |` +
      ['upload', 'pickup', 'work'].map((k) => ms(median(r[k]))).join('') +
      ['open', 'read', 'orientation', 'ocr', 'save'].map((k) => ms(stage(k))).join(''),
  );
}
const all = (key) => median(results.flatMap((r) => r[key]));
const bestCli = Math.min(all('cli'), all('cli1'));
console.log(
  `\nall receipts: ocrflow ${Math.round(all('ocrflow'))} ms, CLI ${Math.round(all('cli'))} ms (OMP_THREAD_LIMIT=1: ${Math.round(all('cli1'))} ms); ` +
    `ocrflow / CLI with its default threads = ${(all('ocrflow') / all('cli')).toFixed(2)}x; ` +
    `ocrflow / faster CLI = ${(all('ocrflow') / bestCli).toFixed(2)}x (≤ 1.00 is the goal)`,
);
console.log('columns: ocrflow = POST /jobs until the job\'s event stream says succeeded; pickup = job row created → worker started it; job work = started → finished, of which open (the reader\'s thread) and save (page checkpoint) from the worker\'s log, read/orient./OCR from the page\'s stored timings (orientation runs only when OCR was unsure)');
