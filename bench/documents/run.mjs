// A scanned multi-page PDF through the whole service (upload → worker → SUCCEEDED),
// with the time of each pipeline stage, next to poppler + native Tesseract doing
// the same pages in the same run (pdftoppm at the same dpi, then the CLI per page).
//
//   npm run build && node bench/documents/run.mjs
//   BENCH_DOC_PAGES=4 node bench/documents/run.mjs
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { PDFDocument } from 'pdf-lib';
import pg from 'pg';
import sharp from 'sharp';
import { migrate } from '../../scripts/db/migrate.mjs';
import { makeTessdata, nativeOcr, nativeVersion } from '../ocr/native.mjs';
import { cer } from '../ocr/score.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGES = Number.parseInt(process.env.BENCH_DOC_PAGES ?? '10', 10);
const DPI = 300;
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-secret-of-at-least-thirty-two-chars';

if (!nativeVersion() || !existsSync(join(ROOT, 'dist/main.js'))) {
  console.error('needs `apt-get install -y tesseract-ocr poppler-utils` and `npm run build` first');
  process.exit(2);
}

const WORDS = 'the quick brown fox jumps over a lazy dog while invoices receipts and letters arrive as scans 2026'.split(' ');
/** Page n's lines: prose varied by page, 26 lines of 10 words, A4 at 300 dpi. */
function pageLines(n) {
  return Array.from({ length: 26 }, (_, i) =>
    Array.from({ length: 10 }, (_, w) => WORDS[(n * 7 + i * 3 + w * 5) % WORDS.length]).join(' ') + ` ${n}.${i}`,
  );
}
async function pagePng(lines) {
  const text = lines.map((l, i) => `<text x="200" y="${300 + i * 110}">${l}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2480" height="3508"><rect width="100%" height="100%" fill="white"/><g font-family="DejaVu Sans, sans-serif" font-size="46">${text}</g></svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: '#fff' }).greyscale().png().toBuffer();
}

const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-doc-'));
const truth = Array.from({ length: PAGES }, (_, n) => pageLines(n + 1));
const pdf = await PDFDocument.create();
for (const lines of truth) {
  const png = await pdf.embedPng(await pagePng(lines));
  pdf.addPage([595, 842]).drawImage(png, { x: 0, y: 0, width: 595, height: 842 });
}
const pdfPath = join(work, 'scan.pdf');
writeFileSync(pdfPath, await pdf.save());

// --- ocrflow: the built service, MODE=all, one engine, its own database and queue prefix.
const suffix = Math.random().toString(16).slice(2, 10);
const database = `ocrflow_bench_doc_${suffix}`;
const databaseUrl = `${SERVER}/${database}`;
const port = await new Promise((done) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = s.address();
    s.close(() => done(free));
  });
});
await migrate(databaseUrl, { log: () => undefined });
const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
  env: {
    PATH: process.env.PATH, MODE: 'all', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', SERVICE_ENV: 'test',
    DATABASE_URL: databaseUrl, REDIS_URL, JWT_SECRET: SECRET, QUEUE_PREFIX: `bench-${suffix}`,
    ARTIFACT_STORE_PATH: join(work, 'artifacts'), OCR_WORKERS: '1', QUEUE_CONCURRENCY: '1', PDF_RENDER_DPI: String(DPI),
    ENABLE_RATE_LIMIT: 'false', // the poller below asks ten times a second
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let log = '';
child.stdout.on('data', (chunk) => (log += chunk));
const base = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${await new SignJWT({ scope: 'jobs:read jobs:write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))}` };
const db = new pg.Client({ connectionString: databaseUrl });
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/health`).catch(() => undefined))?.ok) break;
    if (i > 300) throw new Error(`service did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const form = new FormData();
  form.append('file', new Blob([readFileSync(pdfPath)]), 'scan.pdf');
  const started = performance.now();
  const { id } = await (await fetch(`${base}/jobs`, { method: 'POST', body: form, headers: auth })).json();
  let job;
  do {
    await new Promise((r) => setTimeout(r, 100));
    job = await (await fetch(`${base}/jobs/${id}`, { headers: auth })).json();
  } while (job.status === 'QUEUED' || job.status === 'RUNNING');
  const wall = performance.now() - started;
  if (job.status !== 'SUCCEEDED') throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);
  const results = await (await fetch(`${base}/jobs/${id}/results`, { headers: auth })).json();
  const line = log.split('\n').find((l) => l.includes('document processed'));
  const totals = line ? JSON.parse(line).ms : {};
  await db.connect();
  const rows = (await db.query('SELECT number, timings FROM job_pages WHERE job_id = $1 ORDER BY number', [id])).rows;
  const ocrflowCer = results.pages.map((p, i) => cer(truth[i].join('\n'), p.text));

  // --- native: pdftoppm renders every page, then the CLI OCRs each PNG, one process at a time.
  const tessdata = makeTessdata(join(dirname(fileURLToPath(import.meta.resolve('@tesseract.js-data/eng/package.json'))), '4.0.0_best_int'));
  const t0 = performance.now();
  execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-gray', pdfPath, join(work, 'page')]);
  const render = performance.now() - t0;
  const pngs = readdirSync(work).filter((f) => f.startsWith('page') && f.endsWith('.png')).sort();
  const nativeText = [];
  const t1 = performance.now();
  for (const png of pngs) nativeText.push(await nativeOcr(join(work, png), { tessdata: tessdata.dir, psm: 6 }));
  const nativeOcrMs = performance.now() - t1;
  tessdata.remove();
  const nativeCer = nativeText.map((t, i) => cer(truth[i].join('\n'), t));

  const sum = (stage) => rows.reduce((s, r) => s + (r.timings?.[stage] ?? 0), 0);
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
  const mean = (xs) => `${((xs.reduce((a, b) => a + b, 0) / xs.length) * 100).toFixed(1)}%`;
  console.log(`${PAGES}-page scanned PDF (A4, ${DPI} dpi), one engine / one process, pages in sequence\n`);
  console.log('stage                       ocrflow     per page');
  for (const [stage, ms] of [['open (thread + pdf.js)', totals.open ?? 0], ['read (render + right-size)', sum('read')], ['orientation (OSD)', sum('orientation')], ['OCR', sum('ocr')], ['save (checkpoint + event)', totals.save ?? 0]]) {
    console.log(`${stage.padEnd(26)} ${fmt(ms)}  ${fmt(ms / PAGES)}`);
  }
  console.log(`${'upload → SUCCEEDED'.padEnd(26)} ${fmt(wall)}  ${fmt(wall / PAGES)}`);
  console.log(`\nnative: pdftoppm ${fmt(render)}, tesseract CLI ${fmt(nativeOcrMs)}, total ${fmt(render + nativeOcrMs).trim()}`);
  console.log(`ocrflow/native pages per second: ${((render + nativeOcrMs) / wall).toFixed(2)}`);
  console.log(`mean CER: ocrflow ${mean(ocrflowCer)}, native ${mean(nativeCer)}`);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await db.end().catch(() => undefined);
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`bench-${suffix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  rmSync(work, { recursive: true, force: true });
}
