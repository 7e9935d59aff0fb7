// What a user gets: documents uploaded over HTTP to a freshly started service,
// from the first upload to the last job's terminal state, against the
// `tesseract` CLI doing the same work in the same run (one process per core,
// OMP_THREAD_LIMIT=1; `pdftoppm` + `tesseract` for a PDF). Per workload and
// topology (one MODE=all process; an API and a worker process) it prints the
// wall time and its ratio, the CPU seconds per page (user and system) of every
// service process against the CLI's, the worker's stage split, and the CER of
// both sides where there is ground truth.
//
//   npm run build && node bench/service/run.mjs
//   BENCH_RECEIPTS=/path/to/heldout node bench/service/run.mjs   (sroie/img/NNN.jpg + sroie/box/NNN.csv)
//   BENCH_TOPOLOGIES=all BENCH_WORKLOADS=receipts OCR_ENGINE=auto node bench/service/run.mjs
//
// Any OCR_* variable (and QUEUE_CONCURRENCY) reaches the service;
// BENCH_PDF_PAGES sets the scanned PDF's length (default 10). Where the
// service's CPU goes:
//
//   BENCH_THREADS=1 node bench/service/run.mjs          (CPU seconds per thread kind of each service process, and per engine process)
//   BENCH_CPU_PROF=/tmp/prof node bench/service/run.mjs (a V8 CPU profile per service thread; bench/documents/profile.mjs sums them)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { apiClient, benchEnv, freePort, ocrSettings, pageLines, ROOT, scannedPdf, startService } from '../documents/service.mjs';
import { nativeVersion } from '../ocr/native.mjs';
import { mapLimit, sroiePages } from '../ocr/pages.mjs';
import { cer } from '../ocr/score.mjs';
import { descendants, statFields, treeCpu } from '../proc.mjs';

const run = promisify(execFile);
const CORES = availableParallelism();
const corpus = process.env.OCRFLOW_CORPUS ?? join(ROOT, '../shared/corpus');
const receiptsDir = process.env.BENCH_RECEIPTS;
const TOPOLOGIES = (process.env.BENCH_TOPOLOGIES ?? 'all,split').split(',');
const WORKLOADS = (process.env.BENCH_WORKLOADS ?? 'receipts,pdf').split(',');
const PDF_PAGES = Number.parseInt(process.env.BENCH_PDF_PAGES ?? '10', 10);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const THREADS = Boolean(process.env.BENCH_THREADS);

const native = nativeVersion();
if (!native || !existsSync(join(ROOT, 'dist/main.js'))) {
  console.error('needs `apt-get install -y tesseract-ocr poppler-utils` and `npm run build` first');
  process.exit(2);
}
const COUNT = Number.parseInt(process.env.BENCH_RECEIPT_COUNT ?? '16', 10);
const receipts = sroiePages(receiptsDir ?? corpus, COUNT);
if (WORKLOADS.includes('receipts') && receipts.length === 0) {
  console.error('no receipts: set BENCH_RECEIPTS to a folder with sroie/img and sroie/box, or OCRFLOW_CORPUS');
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * User and system CPU seconds of processes, each with everything under it,
 * and of the processes under them alone (`engines`: the native OCR engines;
 * tesseract.js's run as threads of the worker and count as its own).
 */
function cpu(pids) {
  return pids
    .map((pid) => treeCpu(pid))
    .reduce((sum, one) => ({ user: sum.user + one.user, system: sum.system + one.system, engines: sum.engines + one.under.user + one.under.system }), {
      user: 0,
      system: 0,
      engines: 0,
    });
}

/** CPU seconds of a process's threads by kind (their name, numbers dropped: `libvips worker`, `WorkerThread`, `V8Worker`…). */
function threadCpu(pid) {
  const kinds = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const kind = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+$/, '#');
      const f = statFields(`${pid}/task/${tid}`);
      kinds[kind] = (kinds[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {} // ended meanwhile
  }
  return kinds;
}

/** BENCH_THREADS: what each service process's threads (those still running) and each engine process used in the run. */
function printThreads(pids, before) {
  pids.forEach((pid, i) => {
    const kinds = Object.entries(threadCpu(pid)).map(([kind, s]) => [kind, s - (before[i][kind] ?? 0)]).filter(([, s]) => s >= 0.01);
    console.error(`  process ${pid} threads, CPU s: ${kinds.map(([kind, s]) => `${kind} ${s.toFixed(2)}`).join(', ')}`);
    for (const child of descendants(pid)) {
      const args = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').slice(-5, -1).join(' ');
      const { user, system } = treeCpu(child);
      console.error(`  engine ${child} (${args}), CPU s since it started: ${(user + system).toFixed(2)}`);
    }
  });
}

/** The workload's documents: name, bytes, pages, ground truth (per document, or null). */
async function documents(workload) {
  if (workload === 'receipts') return receipts.map((r) => ({ name: r.name.split('/').at(-1), data: r.original, pages: 1, truth: r.truth }));
  const pages = Array.from({ length: PDF_PAGES }, (_, n) => pageLines(n + 1));
  return [{ name: 'scan.pdf', data: await scannedPdf(pages), pages: PDF_PAGES, truth: pages.map((lines) => lines.join('\n')).join('\n') }];
}

/** Starts the topology on a fresh database and queue; resolves with its base URL, its pids and stop(). */
async function startTopology(topology, env) {
  const port = await freePort();
  const queue = process.env.QUEUE_CONCURRENCY ? { QUEUE_CONCURRENCY: process.env.QUEUE_CONCURRENCY } : {};
  const api = { ...env, ...ocrSettings(), ...queue, PORT: String(port) };
  const profiled = (name) => (CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', join(CPU_PROF, name)] : []);
  if (topology === 'all') {
    const service = await startService({ ...api, MODE: 'all' }, `http://127.0.0.1:${port}/health/ready`, profiled('all'));
    return { base: `http://127.0.0.1:${port}`, services: [service] };
  }
  const workerPort = await freePort();
  const worker = await startService({ ...api, MODE: 'worker', WORKER_PORT: String(workerPort) }, `http://127.0.0.1:${workerPort}/health/ready`, profiled('worker'));
  const front = await startService({ ...api, MODE: 'api' }, `http://127.0.0.1:${port}/health/ready`, profiled('api'));
  return { base: `http://127.0.0.1:${port}`, services: [front, worker] };
}

/** Every document uploaded at once to a freshly started topology; the wall time to the last terminal state. */
async function throughService(topology, docs) {
  const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-service-'));
  const { env, databaseUrl, drop } = await benchEnv('service', work);
  const { base, services } = await startTopology(topology, env);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const client = await apiClient(base);
    const pids = services.map((s) => s.child.pid);
    const before = cpu(pids);
    const threadsBefore = THREADS ? pids.map(threadCpu) : [];
    const t0 = performance.now();
    const ids = await Promise.all(docs.map((doc) => client.submit(doc.data, doc.name)));
    const outcomes = await Promise.all(ids.map((id) => client.settled(id)));
    const seconds = (performance.now() - t0) / 1000;
    const after = cpu(pids);
    if (THREADS) printThreads(pids, threadsBefore);
    const failed = outcomes.filter((o) => o !== 'succeeded');
    if (failed.length) throw new Error(`${failed.length} jobs did not succeed: ${failed.join(', ')}`);
    const texts = await Promise.all(ids.map(async (id) => (await client.get(`/jobs/${id}/results`)).text));
    const { rows } = await db.query(`SELECT timings FROM job_pages WHERE job_id = ANY($1)`, [ids]);
    const logged = services.flatMap((s) => s.log().split('\n')).filter((l) => l.includes('document processed'));
    const totals = logged.map((l) => JSON.parse(l).ms);
    return {
      seconds,
      user: after.user - before.user,
      system: after.system - before.system,
      engines: after.engines - before.engines,
      texts,
      stages: {
        open: median(totals.map((t) => t.open)),
        read: median(rows.map((r) => r.timings.read ?? 0)),
        orientation: median(rows.map((r) => r.timings.orientation ?? 0)),
        ocr: median(rows.map((r) => r.timings.ocr ?? 0)),
        save: median(totals.map((t) => t.save / Math.max(1, rows.length / totals.length))),
        orientationRuns: rows.filter((r) => r.timings.orientation !== undefined).length,
      },
    };
  } finally {
    await db.end().catch(() => undefined);
    await Promise.all(services.map((s) => s.stop()));
    await drop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The same documents through the CLI as a user runs it: a process per core, each page its own `tesseract`. */
async function throughCli(docs) {
  const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-cli-'));
  const env = { ...process.env, OMP_THREAD_LIMIT: '1' };
  // This process and its ended children: every tesseract and pdftoppm, once awaited.
  const self = () => treeCpu(process.pid);
  try {
    const before = self();
    const t0 = performance.now();
    // A PDF is rasterised first, as its user would with pdftoppm, one process per core over its pages.
    const images = (
      await mapLimit(docs, CORES, async (doc, i) => {
        const file = join(work, `${i}-${doc.name}`);
        writeFileSync(file, doc.data);
        if (!doc.name.endsWith('.pdf')) return [{ doc: i, file }];
        await mapLimit(Array.from({ length: doc.pages }, (_, p) => p + 1), CORES, (p) =>
          run('pdftoppm', ['-r', '300', '-png', '-f', String(p), '-l', String(p), file, join(work, `${i}-page`)]),
        );
        return readdirSync(work).filter((f) => f.startsWith(`${i}-page`)).sort().map((f) => ({ doc: i, file: join(work, f) }));
      })
    ).flat();
    const texts = await mapLimit(images, CORES, async ({ file }) => (await run('tesseract', [file, '-'], { env, maxBuffer: 64 << 20 })).stdout);
    const seconds = (performance.now() - t0) / 1000;
    const after = self();
    const byDoc = docs.map((_, i) => images.flatMap((image, j) => (image.doc === i ? [texts[j]] : [])).join('\n'));
    return { seconds, user: after.user - before.user, system: after.system - before.system, texts: byDoc };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const f1 = (x) => x.toFixed(1);
/** The engine processes' CPU per page and the whole service's over it; blank for the CLI, '-' for engines that are threads (tesseract.js). */
const engineShare = (r, pages) => (r.engines === undefined ? '' : r.engines > 0 ? `${f2(r.engines / pages)}        ${f2((r.user + r.system) / r.engines)}x` : '-            -');
const f2 = (x) => x.toFixed(2);
console.log(`ocrflow through the service against the tesseract CLI, ${new Date().toISOString().slice(0, 10)}`);
console.log(`machine: ${CORES} cores, node ${process.version}; ${native.tesseract}; OCR settings: ${Object.entries(ocrSettings()).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults'}`);
console.log(`receipts: ${receipts.length} from ${receiptsDir ?? `${corpus} (the corpus the project was tuned on)`}`);
for (const workload of WORKLOADS) {
  const docs = await documents(workload);
  const pages = docs.reduce((sum, d) => sum + d.pages, 0);
  const cli = await throughCli(docs);
  const cerOf = (texts) => median(docs.map((d, i) => cer(d.truth, texts[i])));
  console.log(`\n${workload}: ${docs.length} documents, ${pages} pages, all uploaded at once`);
  console.log('topology        wall s   pages/s  ratio | CPU s/page user  sys  engines  all/engines | median ms/page: open  read orient   OCR  save | orient. runs | CER');
  const line = (name, r, extra) =>
    console.log(
      `${name.padEnd(14)} ${f1(r.seconds).padStart(7)} ${f2(pages / r.seconds).padStart(9)} ${extra.ratio.padStart(6)} |` +
        `${f2(r.user / pages).padStart(20)} ${f2(r.system / pages).padStart(4)} ${engineShare(r, pages).padStart(21)} |${extra.stages} | ${(100 * cerOf(r.texts)).toFixed(1)} %`,
    );
  line('tesseract CLI', cli, { ratio: '1.00', stages: ' '.repeat(45) + '|       ' });
  for (const topology of TOPOLOGIES) {
    const r = await throughService(topology, docs);
    const s = r.stages;
    const stages = [s.open, s.read, s.orientation, s.ocr, s.save].map((x) => String(Math.round(x)).padStart(6)).join('') + `       | ${String(s.orientationRuns).padStart(6)}`;
    line(topology === 'all' ? 'MODE=all' : 'api + worker', r, { ratio: `${f2(cli.seconds / r.seconds)}x`, stages });
  }
}
console.log('\nratio: the CLI\'s wall time over the service\'s (pages/s against the CLI\'s); CPU: every service process and its engines, user and system, per page;');
console.log('engines: the native engine processes alone; all/engines: the whole service\'s CPU over theirs.');
