// Field extraction on the SROIE receipts of the shared corpus: the local
// extractor against the naive regex baseline, on ocrflow's OCR of the images
// and on the ground-truth boxes (which separates OCR errors from extraction
// errors), scored by the corpus's own tools/score.py.
//
//   npm run build && node bench/fields/run.mjs      (or: npm run bench:fields)
//   BENCH_PAGES=10 node bench/fields/run.mjs        (first 10 receipts only)
//   OCRFLOW_CORPUS=/path/to/corpus node bench/fields/run.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapLimit } from '../ocr/pages.mjs';
import { boxPage, scoreKeys, toKey, writeKeys } from './sroie.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'dist');
// The worker's defaults (OCR_DESKEW=true, the pool's PSM 6); BENCH_MODEL
// (fast | best_int) and BENCH_PSM try others.
const POOL = {
  ...(process.env.BENCH_MODEL && { model: process.env.BENCH_MODEL }),
  ...(process.env.BENCH_PSM && { psm: Number(process.env.BENCH_PSM) }),
};
const LIMITS = { maxPixels: 40_000_000, maxDimension: 20_000 };

const corpus = process.env.OCRFLOW_CORPUS ?? resolve(ROOT, '../shared/corpus');
const sroie = join(corpus, 'sroie');
const scorePy = join(corpus, 'tools/score.py');
if (!existsSync(join(DIST, 'fields/local-extractor.js'))) {
  console.error(`${DIST}/fields/local-extractor.js is missing: run \`npm run build\` first.`);
  process.exit(2);
}
if (!existsSync(join(sroie, 'key')) || !existsSync(scorePy)) {
  console.error(`no SROIE receipts or score.py under ${corpus}: set OCRFLOW_CORPUS to the shared corpus.`);
  process.exit(2);
}
try {
  execFileSync('python3', ['--version']);
} catch {
  console.error('python3 is needed to run the corpus scorer (tools/score.py).');
  process.exit(2);
}

const { prepareForOcr } = await import(join(DIST, 'reader/image-decoder.js'));
const { OcrPool } = await import(join(DIST, 'ocr/ocr-pool.js'));
const { extractLocally } = await import(join(DIST, 'fields/local-extractor.js'));
const { extractNaively } = await import(join(DIST, 'fields/naive-extractor.js'));
const { BUILT_IN_SCHEMAS } = await import(join(DIST, 'fields/schemas.js'));
const receipt = BUILT_IN_SCHEMAS.find((s) => s.name === 'receipt');

const limit = process.env.BENCH_PAGES ? Number.parseInt(process.env.BENCH_PAGES, 10) : undefined;
const names = readdirSync(join(sroie, 'key'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort()
  .slice(0, limit);
const cores = os.availableParallelism();

// The worker's path for an image upload: prepareForOcr (straightened, cut into a
// band per idle engine as a one-page document is), then the pool. Orientation detection
// is left out: the receipts are upright (it found all 25 so, see ocr-pools.service.ts).
process.stderr.write(`OCR of ${names.length} receipts with ${cores} engines... `);
const t0 = performance.now();
const pool = await OcrPool.create({ ...POOL, size: cores });
let ocrPages;
try {
  ocrPages = await mapLimit(names, cores, async (name) => {
    const prepared = await prepareForOcr(readFileSync(join(sroie, 'img', `${name}.jpg`)), LIMITS, { deskew: true, bands: pool.idleEngines });
    const page = await pool.recognize(prepared);
    return { number: 1, width: page.width, height: page.height, lines: page.lines };
  });
} finally {
  await pool.close();
}
process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const inputs = {
  ocr: ocrPages,
  boxes: names.map((name) => boxPage(join(sroie, 'box', `${name}.csv`))),
};
const extractors = { local: extractLocally, naive: extractNaively };

const work = mkdtempSync(join(os.tmpdir(), 'ocrflow-fields-'));
const results = [];
try {
  for (const [extractor, extract] of Object.entries(extractors)) {
    for (const [input, pages] of Object.entries(inputs)) {
      const keys = {};
      const started = performance.now();
      for (const [i, name] of names.entries()) keys[name] = toKey(extract(receipt, [pages[i]]));
      const msPerReceipt = (performance.now() - started) / names.length;
      const dir = join(work, `${extractor}-${input}`);
      writeKeys(join(dir, 'pred'), keys);
      results.push({ extractor, input, msPerReceipt, scores: scoreKeys(scorePy, join(sroie, 'key'), names, join(dir, 'pred'), dir), keys });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const f = (x) => x.toFixed(3);
console.log(
  `\nSROIE fields: ${names.length} receipts of ${sroie} (held out: the rules were developed on other SROIE training receipts); ` +
    `receipt schema; scored by tools/score.py sroie-eval\nmachine: node ${process.version}, ${cores} cores (${os.cpus()[0]?.model ?? '?'})\n`,
);
console.log('extractor  input   strict P  strict R  strict F1  lenient P  lenient R  lenient F1   company  date   address  total   ms/receipt');
for (const r of results) {
  const { strict: s, lenient: l } = r.scores;
  const acc = l.field_accuracy;
  console.log(
    `${r.extractor.padEnd(9)}  ${r.input.padEnd(6)}  ${f(s.precision).padStart(8)}  ${f(s.recall).padStart(8)}  ${f(s.f1).padStart(9)}  ` +
      `${f(l.precision).padStart(9)}  ${f(l.recall).padStart(9)}  ${f(l.f1).padStart(10)}   ` +
      `${f(acc.company).padStart(7)}  ${f(acc.date)}  ${f(acc.address).padStart(7)}  ${f(acc.total)}  ${r.msPerReceipt.toFixed(1).padStart(10)}`,
  );
}
console.log('(company … total: per-field lenient accuracy; dates are scored as printed, see bench/README.md)');

// What any extractor could reach on this OCR: receipts whose OCR text holds the
// field's letters and digits somewhere (case, spacing and punctuation aside).
const alnum = (s) => String(s ?? '').toUpperCase().replace(/[^0-9A-Z]/g, '');
const within = ocrPages.map((page) => alnum(page.lines.map((l) => l.text).join(' ')));
const ceiling = Object.fromEntries(
  ['company', 'date', 'address', 'total'].map((field) => {
    const hits = names.filter((name, i) => within[i].includes(alnum(JSON.parse(readFileSync(join(sroie, 'key', `${name}.json`), 'utf8'))[field])));
    return [field, hits.length / names.length];
  }),
);
console.log(`OCR text holds the field (a ceiling for lenient accuracy on ocr): ${Object.entries(ceiling).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);

const resultsDir = join(ROOT, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `fields-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ node: process.version, cores, receipts: names, ocrCeiling: ceiling, results }, null, 1));
console.log(`per-receipt predictions: ${file}`);
