// Accuracy against native Tesseract, where a user stands: the same documents
// uploaded to the built service (MODE=all, default settings, started fresh)
// and read with the `tesseract` CLI as a user runs it, in one run; CER and
// word F1 per set, side by side.
//
//   npm run build && node bench/accuracy/run.mjs        (or: npm run bench:accuracy)
//   BENCH_ACC_DOCS=1 node bench/accuracy/run.mjs        (also a row per document)
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiClient, benchEnv, freePort, ocrSettings, ROOT, startService } from '../documents/service.mjs';
import { nativeOcr, nativeVersion } from '../ocr/native.mjs';
import { mapLimit } from '../ocr/pages.mjs';
import { cer, wordF1 } from '../ocr/score.mjs';
import { corpusPresent, exifSideways, funsd, pdfs, rotated, sroie, tilted, upright } from './sets.mjs';

const run = promisify(execFile);
const int = (name, fallback) => {
  const value = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isNaN(value) ? fallback : Math.max(0, value);
};
const PAGES = int('BENCH_ACC_PAGES', 2);
const SROIE = int('BENCH_ACC_SROIE', 10);
const FUNSD = int('BENCH_ACC_FUNSD', 10);
const CONCURRENCY = Math.max(1, int('BENCH_ACC_CONCURRENCY', 3));
const CORES = availableParallelism();
const corpus = process.env.OCRFLOW_CORPUS ?? join(ROOT, '../shared/corpus');
const haveCorpus = corpusPresent(corpus);

/**
 * The sets, in the order printed. `languages`, when a set has it, is a
 * Tesseract language string (`deu`, `deu+eng`) sent as the upload's
 * `languages` field and as the CLI's `-l`; a German set is one more line here,
 * e.g. `{ name: 'German pages', languages: 'deu', documents: () => germanPages(PAGES) }`.
 */
const ALL_SETS = [
  { name: 'generated, upright', documents: () => upright(PAGES) },
  { name: 'generated, turned 90/180/270', documents: () => rotated(PAGES) },
  { name: 'generated, tilted 3/-7°', documents: () => tilted(PAGES) },
  { name: 'generated, EXIF 6 (sideways JPEG)', documents: () => exifSideways(PAGES) },
  ...(haveCorpus
    ? [
        { name: 'SROIE receipts', documents: () => sroie(corpus, SROIE) },
        { name: 'FUNSD forms', documents: () => funsd(corpus, FUNSD) },
        { name: 'corpus PDFs, scanned', documents: () => pdfs(corpus, true) },
        { name: 'corpus PDFs, born-digital', documents: () => pdfs(corpus, false) },
      ]
    : []),
];
/** `BENCH_ACC_SETS=FUNSD,turned`: only the sets whose names contain one of these. */
const only = process.env.BENCH_ACC_SETS?.split(',').map((part) => part.trim().toLowerCase());
const SETS = ALL_SETS.filter((set) => !only || only.some((part) => set.name.toLowerCase().includes(part)));

const native = nativeVersion();
const pdftoppm = await run('pdftoppm', ['-v']).then(() => true, () => false);
if (!native || !pdftoppm || !existsSync(join(ROOT, 'dist/main.js'))) {
  console.error('needs `apt-get install -y tesseract-ocr poppler-utils` and `npm run build` first');
  process.exit(2);
}
if (!haveCorpus) console.error(`no corpus at ${corpus} (set OCRFLOW_CORPUS): the generated sets only`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The service's reading: the job's `text` once it has finished, and what it did to each page. */
async function viaService(client, doc, languages) {
  const fields = {};
  if (doc.password) fields.password = doc.password;
  if (doc.firstPageOnly) fields.pages = '1';
  if (languages) fields.languages = languages;
  // A connection that fails mid-upload is tried once more (one run of this
  // bench met EPIPE while sending a body); the Idempotency-Key makes that safe:
  // an upload the service did take answers again with its job.
  const key = { 'idempotency-key': randomUUID() };
  const id = await client.submit(doc.data, doc.name, fields, key).catch((error) => {
    if (!(error instanceof TypeError)) throw error; // fetch's network failure; an answer other than 202 is an Error
    process.stderr.write(`\n${doc.name}: upload failed (${error.cause?.code ?? error.message}), trying again\n`);
    return client.submit(doc.data, doc.name, fields, key);
  });
  const outcome = await client.settled(id);
  if (outcome !== 'succeeded' && outcome !== 'partial') {
    const job = await client.get(`/jobs/${id}`);
    return { text: '', notes: `${job.status} ${job.error?.code ?? ''}` };
  }
  const results = await client.get(`/jobs/${id}/results`);
  const page = (p) =>
    p.error ? `p${p.number} ${p.error.code}` : `${p.source}${p.rotation ? ` ↻${p.rotation}` : ''}${p.skew ? ` skew ${p.skew.toFixed(1)}°` : ''}`;
  return { text: results.text, notes: results.pages.map(page).join('; ') };
}

/**
 * The CLI's reading of the same bytes, as a user would get it: an image
 * straight into `tesseract`; a PDF rendered with `pdftoppm -r 300 -png` first,
 * then a `tesseract` per page, the pages' text in order.
 */
async function viaCli(work, doc, languages) {
  const dir = mkdtempSync(join(work, 'cli-'));
  try {
    const file = join(dir, doc.name);
    writeFileSync(file, doc.data);
    let images = [file];
    if (doc.name.endsWith('.pdf')) {
      const pages = doc.firstPageOnly ? ['-f', '1', '-l', '1'] : [];
      await run('pdftoppm', ['-r', '300', '-png', ...(doc.password ? ['-upw', doc.password] : []), ...pages, file, join(dir, 'page')]);
      images = readdirSync(dir).filter((f) => f.startsWith('page-')).sort().map((f) => join(dir, f));
    }
    const texts = [];
    for (const image of images) texts.push(await nativeOcr(image, { lang: languages ?? 'eng' }));
    return { text: texts.join('\n') };
  } catch (error) {
    return { text: '', notes: `CLI failed: ${String(error.message).split('\n')[0]}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const score = (truth, { text, notes = '' }) => ({ cer: cer(truth, text), f1: wordF1(truth, text).f1, notes, text });

const t0 = performance.now();
const seconds = () => Math.round((performance.now() - t0) / 1000);
const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-accuracy-'));
const { env, drop } = await benchEnv('accuracy', work);
const port = await freePort();
// Default settings, unless an OCR_* variable says otherwise.
const service = await startService({ ...env, ...ocrSettings(), MODE: 'all', PORT: String(port) }, `http://127.0.0.1:${port}/health/ready`);
const sets = [];
try {
  const client = await apiClient(`http://127.0.0.1:${port}`);
  const docs = [];
  for (const [index, set] of SETS.entries()) for (const doc of await set.documents()) docs.push({ ...doc, set: index });
  // Both sides at once, each over every set in one pool: accuracy does not
  // depend on timing, and no engine waits for the last page of a set.
  let done = 0;
  const progress = () => process.stderr.write(`\r${++done} of ${docs.length * 2} readings, ${seconds()} s`);
  const [ours, theirs] = await Promise.all([
    mapLimit(docs, CONCURRENCY, (doc) => viaService(client, doc, SETS[doc.set].languages).finally(progress)),
    mapLimit(docs, CORES, (doc) => viaCli(work, doc, SETS[doc.set].languages).finally(progress)),
  ]);
  process.stderr.write('\n');
  for (const [index, set] of SETS.entries()) {
    const rows = docs
      .map((doc, i) => ({ doc, i }))
      .filter(({ doc }) => doc.set === index)
      .map(({ doc, i }) => ({ name: doc.name, ocrflow: score(doc.truth, ours[i]), native: score(doc.truth, theirs[i]) }));
    if (rows.length > 0) sets.push({ name: set.name, languages: set.languages, rows }); // none when its count was set to 0
  }
} catch (error) {
  console.error(`\nthe service's last log lines:\n${service.log().trim().split('\n').slice(-15).join('\n')}`);
  throw error;
} finally {
  await service.stop();
  await drop();
  rmSync(work, { recursive: true, force: true });
}

const pct = (x) => (x * 100).toFixed(1);
const signed = (x) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
console.log(
  `\nAccuracy against native Tesseract, ${new Date().toISOString().slice(0, 10)}. ocrflow: the built service (MODE=all, default settings), ` +
    'each document uploaded over HTTP, `text` of GET /jobs/:id/results. native: `tesseract <file> stdout` (Debian\'s eng model, PSM 3, ' +
    'OMP_THREAD_LIMIT=1) on the same bytes; a PDF through `pdftoppm -r 300 -png` first, a tesseract per page.',
);
console.log(`machine: ${CORES} × ${cpus()[0]?.model ?? '?'}, node ${process.version}; ${native.tesseract}, ${native.leptonica}; the run took ${seconds()} s`);
console.log('CER and word F1 in %; Δ = ocrflow − native (CER: below 0 is better; F1: above 0 is better)\n');
console.log('| set | docs | ocrflow CER median | mean | word F1 | native CER median | mean | word F1 | Δ CER median | Δ CER mean | Δ F1 |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const { name, rows } of sets) {
  const stats = (side) => {
    const cers = rows.map((r) => r[side].cer);
    return { median: median(cers), mean: mean(cers), f1: mean(rows.map((r) => r[side].f1)) };
  };
  const o = stats('ocrflow');
  const n = stats('native');
  console.log(
    `| ${name} | ${rows.length} | ${pct(o.median)} | ${pct(o.mean)} | ${pct(o.f1)} | ${pct(n.median)} | ${pct(n.mean)} | ${pct(n.f1)} | ` +
      `${signed(o.median - n.median)} | ${signed(o.mean - n.mean)} | ${signed(o.f1 - n.f1)} |`,
  );
}
if (process.env.BENCH_ACC_DOCS === '1') {
  console.log('\n| set | document | ocrflow CER | F1 | native CER | F1 | notes (ocrflow: each page\'s source, turn, skew) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { name, rows } of sets) {
    for (const r of rows) {
      const notes = [r.ocrflow.notes, r.native.notes].filter(Boolean).join('; ');
      console.log(`| ${name} | ${r.name} | ${pct(r.ocrflow.cer)} | ${pct(r.ocrflow.f1)} | ${pct(r.native.cer)} | ${pct(r.native.f1)} | ${notes} |`);
    }
  }
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
const out = join(ROOT, `bench/results/accuracy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ native, sets }, null, 1));
console.log(`\nper-document scores and texts: ${out}`);
