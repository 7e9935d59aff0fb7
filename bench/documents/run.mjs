// A scanned multi-page PDF through the whole service (upload → worker → SUCCEEDED),
// with the time of each pipeline stage, once with one OCR engine and once with
// one per core (the pages of the document in parallel), next to poppler +
// native Tesseract doing the same pages in the same run (pdftoppm at the same
// dpi, then the CLI per page: one process, then one per core).
//
//   npm run build && node bench/documents/run.mjs
//   BENCH_DOC_PAGES=4 BENCH_DOC_ENGINES=1,2 node bench/documents/run.mjs
//   BENCH_CPU_PROF=/tmp/prof node bench/documents/run.mjs   (a V8 CPU profile per thread, summed by thread and component)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeTessdata, nativeOcr, nativeVersion } from '../ocr/native.mjs';
import { cer } from '../ocr/score.mjs';
import { summarise } from './profile.mjs';
import { apiClient, benchEnv, freePort, pageLines, ROOT, scannedPdf, startService } from './service.mjs';

const PAGES = Number.parseInt(process.env.BENCH_DOC_PAGES ?? '10', 10);
const CORES = availableParallelism();
const ENGINES = (process.env.BENCH_DOC_ENGINES ?? `1,${CORES}`).split(',').map(Number);
const DPI = 300;
const CPU_PROF = process.env.BENCH_CPU_PROF;

if (!nativeVersion() || !existsSync(join(ROOT, 'dist/main.js'))) {
  console.error('needs `apt-get install -y tesseract-ocr poppler-utils` and `npm run build` first');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-doc-'));
const truth = Array.from({ length: PAGES }, (_, n) => pageLines(n + 1));
const pdfPath = join(work, 'scan.pdf');
writeFileSync(pdfPath, await scannedPdf(truth));

/** One run of the service (MODE=all, one job at a time) with `engines` OCR engines. */
async function ocrflow(engines, env, databaseUrl) {
  const port = await freePort();
  const profileDir = CPU_PROF && join(CPU_PROF, `engines-${engines}`);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const service = await startService(
    { ...env, MODE: 'all', PORT: String(port), OCR_WORKERS: String(engines), QUEUE_CONCURRENCY: '1', PDF_RENDER_DPI: String(DPI) },
    `http://127.0.0.1:${port}/health`,
    profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  );
  const db = new pg.Client({ connectionString: databaseUrl });
  try {
    const client = await apiClient(`http://127.0.0.1:${port}`);
    const started = performance.now();
    const id = await client.submit(readFileSync(pdfPath), 'scan.pdf');
    const job = await client.finished(id);
    const wall = performance.now() - started;
    if (job.status !== 'SUCCEEDED') throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);
    const results = await client.get(`/jobs/${id}/results`);
    const line = service.log().split('\n').find((l) => l.includes('document processed') && l.includes(id));
    const totals = line ? JSON.parse(line).ms : {};
    await db.connect();
    const rows = (await db.query('SELECT timings FROM job_pages WHERE job_id = $1', [id])).rows;
    const sum = (stage) => rows.reduce((s, r) => s + (r.timings?.[stage] ?? 0), 0);
    return {
      engines,
      wall,
      stages: { open: totals.open ?? 0, read: sum('read'), orientation: sum('orientation'), ocr: sum('ocr'), save: totals.save ?? 0 },
      pagesWall: totals.pages ?? 0,
      cer: results.pages.map((p, i) => cer(truth[i].join('\n'), p.text)),
    };
  } finally {
    await db.end().catch(() => undefined);
    await service.stop();
  }
}

/** The CLI over `pngs` with `processes` at a time. */
async function nativeRun(pngs, tessdata, processes) {
  const texts = new Array(pngs.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: processes }, async () => {
      for (let i = next++; i < pngs.length; i = next++) texts[i] = await nativeOcr(pngs[i], { tessdata, psm: 6 });
    }),
  );
  return { ms: performance.now() - t0, texts };
}

const { env, databaseUrl, drop } = await benchEnv('doc', work);
try {
  const runs = [];
  for (const engines of ENGINES) runs.push(await ocrflow(engines, env, databaseUrl));

  // --- native: pdftoppm renders every page, then the CLI OCRs each PNG.
  const tessdata = makeTessdata(join(dirname(fileURLToPath(import.meta.resolve('@tesseract.js-data/eng/package.json'))), '4.0.0_best_int'));
  const t0 = performance.now();
  execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-gray', pdfPath, join(work, 'page')]);
  const render = performance.now() - t0;
  const pngs = readdirSync(work).filter((f) => f.startsWith('page') && f.endsWith('.png')).sort().map((f) => join(work, f));
  const native = [];
  for (const processes of [...new Set([1, CORES])]) native.push({ processes, ...(await nativeRun(pngs, tessdata.dir, processes)) });
  tessdata.remove();
  const nativeCer = native[0].texts.map((t, i) => cer(truth[i].join('\n'), t));

  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
  const mean = (xs) => `${((xs.reduce((a, b) => a + b, 0) / xs.length) * 100).toFixed(1)}%`;
  console.log(`${PAGES}-page scanned PDF (A4, ${DPI} dpi), MODE=all, one job at a time, ${CORES} cores\n`);
  console.log(`stage (summed over pages)   ${runs.map((r) => `${r.engines} engine${r.engines > 1 ? 's' : ' '}   per page`.padStart(22)).join('')}`);
  const stageNames = {
    open: 'open (thread + pdf.js)',
    read: 'read (render + right-size)',
    orientation: 'orientation (unsure pages)',
    ocr: 'OCR (incl. engine wait)',
    save: 'save (checkpoint + event)',
  };
  for (const [stage, name] of Object.entries(stageNames)) {
    const cells = runs.map((r) => `${fmt(r.stages[stage])} ${fmt(stage === 'open' ? r.stages[stage] : r.stages[stage] / PAGES)}`.padStart(22));
    console.log(`${name.padEnd(26)} ${cells.join('')}`);
  }
  console.log(`${'pages, wall'.padEnd(26)} ${runs.map((r) => `${fmt(r.pagesWall)} ${fmt(r.pagesWall / PAGES)}`.padStart(22)).join('')}`);
  console.log(`${'upload → SUCCEEDED'.padEnd(26)} ${runs.map((r) => `${fmt(r.wall)} ${fmt(r.wall / PAGES)}`.padStart(22)).join('')}`);
  if (runs.length > 1) console.log(`\npages in parallel: ${runs.map((r) => `${r.engines} engine(s) ${(runs[0].wall / r.wall).toFixed(2)}x`).join(', ')} (speed-up of upload → SUCCEEDED against ${runs[0].engines})`);
  console.log(`\nnative: pdftoppm ${fmt(render).trim()}; tesseract CLI ${native.map((n) => `${n.processes} process(es) ${fmt(n.ms).trim()}`).join(', ')}`);
  for (const r of runs) {
    const ref = native.find((n) => n.processes === r.engines) ?? native.at(-1);
    console.log(`ocrflow ${r.engines} engine(s) / native ${ref.processes} process(es), pages per second: ${((render + ref.ms) / r.wall).toFixed(2)}`);
  }
  console.log(`mean CER: ${runs.map((r) => `ocrflow ${r.engines} engine(s) ${mean(r.cer)}`).join(', ')}, native ${mean(nativeCer)}`);
  if (CPU_PROF) {
    for (const r of runs) {
      console.log(`\nCPU profile, ${r.engines} engine(s) (${join(CPU_PROF, `engines-${r.engines}`)}):`);
      summarise(join(CPU_PROF, `engines-${r.engines}`));
    }
  }
} finally {
  await drop();
  rmSync(work, { recursive: true, force: true });
}
