// Issue 27's searchable-PDF candidates on the same documents, in one run:
// ocrflow's own (pdf-lib and a glyphless font, `searchablePdf` from dist/),
// tesseract.js's PDF renderer (`recognize(image, {}, { pdf: true })`) and the
// native engine's (`tesseract page.png out -l eng pdf`). Per document type it
// prints what each costs over recognising the text alone, how large its PDF is
// against the bound (1.5 x the input + 20 KB a page), what `pdftotext` extracts
// from it again, how well its word boxes line up, and whether a PDF input's
// own pages (fonts, images) are kept.
//
//   npm run build && node bench/outputs/run.mjs      (or: npm run bench:outputs)
//   BENCH_ROUNDS=1 node bench/outputs/run.mjs        (one text and one PDF run per page, not two)
//   OCRFLOW_CORPUS=/path/to/corpus node bench/outputs/run.mjs
//   BENCH_DIST=bench/results/dist-before node bench/outputs/run.mjs   (another build's searchablePdf)
//   BENCH_KEEP=1 node bench/outputs/run.mjs          (keep the PDFs made, and say where)
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { createWorker, OEM } from 'tesseract.js';
import { pageLines, pagePng, scannedPdf } from '../documents/service.mjs';
import { cpuSeconds, nativeVersion } from '../ocr/native.mjs';
import { sroiePages } from '../ocr/pages.mjs';
import { cer } from '../ocr/score.mjs';
import { boxOffsets, contentKept, contentSummary, missingTools, pdfFonts, pdfImages, pdfText, pdfWords, wordRecall } from './pdf-tools.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'dist');
/** Whose searchablePdf is measured: dist/'s, or another kept build's (`BENCH_DIST=bench/results/dist-before`); the OCR is dist/'s. */
const PDF_DIST = resolve(ROOT, process.env.BENCH_DIST ?? 'dist');
const rounds = Math.max(1, Number.parseInt(process.env.BENCH_ROUNDS ?? '2', 10) || 2);
const corpus = process.env.OCRFLOW_CORPUS ?? resolve(ROOT, '../shared/corpus');
/** The bound of issue 27: at most 1.5 x the input plus 20 KB a page. */
const bound = (inputBytes, pages) => 1.5 * inputBytes + 20 * 1024 * pages;

const native = nativeVersion();
const missing = missingTools();
if (!native || missing.length > 0) {
  console.error(`missing on PATH: ${[!native && 'tesseract', ...missing].filter(Boolean).join(', ')}. Install: apt-get install -y tesseract-ocr poppler-utils`);
  process.exit(2);
}
if (![DIST, PDF_DIST].every((dist) => existsSync(join(dist, 'outputs/searchable-pdf.js')))) {
  console.error(`${PDF_DIST}/outputs/searchable-pdf.js is missing: run \`npm run build\` first.`);
  process.exit(2);
}
// The recognizer logs every page at debug level; only warnings and errors here.
Logger.overrideLogger(['warn', 'error']);
const { searchablePdf } = await import(join(PDF_DIST, 'outputs/searchable-pdf.js'));
const { loadConfig } = await import(join(DIST, 'config/config.js'));
const { OcrPoolsService } = await import(join(DIST, 'modules/processing/ocr-pools.service.js'));
const { PageRecognizer } = await import(join(DIST, 'modules/processing/page-recognizer.js'));
const { DocumentReader } = await import(join(DIST, 'reader/document-reader.js'));
const { documentText } = await import(join(DIST, 'jobs/job-result.js'));
const { languageFile } = await import(join(DIST, 'ocr/language-data.js'));

const work = mkdtempSync(join(os.tmpdir(), 'ocrflow-bench-outputs-'));
const median = (xs) => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Wall and CPU milliseconds of `fn` (this process's threads and its ended child processes). */
async function timed(fn) {
  const [t0, c0] = [performance.now(), cpuSeconds()];
  const value = await fn();
  return { value, ms: performance.now() - t0, cpuMs: (cpuSeconds() - c0) * 1000 };
}

/**
 * `base` and `withPdf` timed `rounds` times each, alternating which goes first,
 * keeping each one's fastest wall and lowest CPU time: on a shared machine the
 * difference of two recognitions is otherwise mostly noise.
 */
async function paired(base, withPdf) {
  const best = { base: { ms: Infinity, cpuMs: Infinity }, pdf: { ms: Infinity, cpuMs: Infinity } };
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 === 0 ? ['base', 'pdf'] : ['pdf', 'base']) {
      const t = await timed(kind === 'base' ? base : withPdf);
      best[kind] = { value: t.value, ms: Math.min(best[kind].ms, t.ms), cpuMs: Math.min(best[kind].cpuMs, t.cpuMs) };
    }
  }
  return best;
}

/** A born-digital PDF as test/support/documents.ts's textPdf makes it: Helvetica text, no images. */
async function textPdf(pages) {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([595, 842]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 842 - 80 - i * 24, size: 14, font }));
  }
  return Buffer.from(await pdf.save());
}

const TYPES = {
  png: 'A4 scan at 300 dpi, PNG (generated)',
  receipt: 'receipt photo, JPEG (SROIE)',
  scanPdf: 'scanned PDF, 3 A4 pages (generated)',
  linn: 'scanned PDF, 1 page (corpus: ocrmypdf_linn.pdf)',
  textPdf: 'born-digital PDF',
};

/** The documents: generated ones always, corpus ones when the corpus is there. */
async function documents() {
  const docs = [];
  const lines = pageLines(1);
  docs.push({ type: TYPES.png, name: 'generated/page-1.png', original: await pagePng(lines), truth: lines.join('\n') });
  const scans = [3, 4, 5].map(pageLines);
  docs.push({ type: TYPES.scanPdf, name: 'generated/scan-3-pages.pdf', original: await scannedPdf(scans), truth: scans.flat().join('\n') });
  const digital = [6, 7].map(pageLines);
  docs.push({ type: TYPES.textPdf, name: 'generated/text-2-pages.pdf', original: await textPdf(digital), truth: digital.flat().join('\n') });
  const receipts = sroiePages(corpus, 4);
  if (receipts.length === 0) {
    console.log(`(no corpus at ${corpus}: generated documents only; set OCRFLOW_CORPUS)`);
    return docs;
  }
  for (const r of receipts) docs.push({ type: TYPES.receipt, name: r.name, original: r.original, truth: r.truth });
  const pdfs = join(corpus, 'pdfs');
  docs.push({
    type: TYPES.linn, name: 'pdfs/ocrmypdf_linn.pdf', original: readFileSync(join(pdfs, 'ocrmypdf_linn.pdf')),
    truth: readFileSync(join(pdfs, 'gt/ocrmypdf_linn.reference.txt'), 'utf8'), approximateTruth: true,
  });
  docs.push({
    type: TYPES.textPdf, name: 'pdfs/pdfjs_bug2013793.pdf', original: readFileSync(join(pdfs, 'pdfjs_bug2013793.pdf')),
    truth: readFileSync(join(pdfs, 'gt/pdfjs_bug2013793.page1.txt'), 'utf8'),
  });
  return docs;
}

const execFileP = (command, args, env) =>
  new Promise((done, fail) =>
    execFile(command, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} failed: ${stderr || error.message}`)) : done(stdout),
    ),
  );

const docs = await documents();
// The files the Tesseract renderers read: an image as it is; a PDF's pages
// rendered as a user of those renderers would, with pdftoppm (300 dpi, grey:
// every document here is black on white).
for (const [i, doc] of docs.entries()) {
  doc.dir = join(work, String(i));
  mkdirSync(doc.dir);
  doc.isPdf = doc.original.subarray(0, 5).toString('latin1') === '%PDF-';
  const input = join(doc.dir, `input.${doc.isPdf ? 'pdf' : doc.name.split('.').at(-1)}`);
  writeFileSync(input, doc.original);
  doc.input = input;
  if (doc.isPdf) {
    const t = await timed(() => execFileP('pdftoppm', ['-r', '300', '-gray', '-png', input, join(doc.dir, 'page')]));
    doc.images = readdirSync(doc.dir).filter((f) => /^page-\d+\.png$/.test(f)).sort().map((f) => join(doc.dir, f));
    doc.renderMs = t.ms;
    doc.inputContent = { fonts: pdfFonts(input), images: pdfImages(input) };
  } else {
    doc.images = [input];
  }
  doc.pages = doc.images.length;
}
const totalPages = docs.reduce((n, d) => n + d.pages, 0);
console.error(`${docs.length} documents, ${totalPages} pages; ${rounds} round(s) of text and PDF recognition per page for the Tesseract renderers`);

/** Word boxes of one page for boxOffsets: words as { text, x0, y0, x1, y1 } in the pixels of a width x height image. */
const ocrPage = (width, height, words) => ({ width, height, words });

// 1. ocrflow: the worker's own path to the stored pages (the reader's thread,
// PageRecognizer with the service's OCR pools at its default settings), then
// only searchablePdf timed, as OutputWriter calls it.
async function runOcrflow() {
  const config = loadConfig({ ...process.env, MODE: 'worker', DATABASE_URL: 'postgresql://unused@127.0.0.1/unused' });
  const pools = new OcrPoolsService(config);
  await pools.onModuleInit();
  const recognizer = new PageRecognizer(pools);
  const readerOptions = {
    ocr: 'auto', image: config.limits.image, pdf: config.limits.pdf, ocrMaxPixels: config.limits.ocrMaxPixels, deskew: config.ocr.deskew,
  };
  const settings = `${pools.engine}, model ${config.ocr.model}, ${config.ocr.workers} engines, deskew ${config.ocr.deskew}, max ${config.limits.ocrMaxPixels / 1e6} MP, PDF at ${config.limits.pdf.dpi} dpi`;
  try {
    for (const doc of docs) {
      process.stderr.write(`ocrflow: ${doc.name}... `);
      const reader = await DocumentReader.open(doc.original, readerOptions);
      const pages = [];
      try {
        for (let n = 1; n <= reader.pageCount; n++) {
          const outcome = await recognizer.recognize(reader, n);
          if (outcome.status !== 'SUCCEEDED') throw new Error(`${doc.name} page ${n}: ${outcome.error.code}`);
          const { width, height, dpi, text, confidence, lines } = outcome.result;
          pages.push({ number: n, source: outcome.source, rotation: outcome.rotation, width, height, dpi, text, confidence, lines });
        }
      } finally {
        await reader.close();
      }
      const mediaType = reader.mediaType;
      await searchablePdf(doc.original, mediaType, pages); // untimed: the first call of a kind compiles its code
      let best = { ms: Infinity, cpuMs: Infinity };
      for (let r = 0; r < rounds + 1; r++) {
        const t = await timed(() => searchablePdf(doc.original, mediaType, pages));
        best = { value: t.value, ms: Math.min(best.ms, t.ms), cpuMs: Math.min(best.cpuMs, t.cpuMs) };
      }
      const file = join(doc.dir, 'ocrflow.pdf');
      writeFileSync(file, best.value);
      doc.ocrflow = {
        file, extraMs: best.ms, extraCpuMs: best.cpuMs, ocrText: documentText(pages),
        sources: pages.map((p) => p.source),
        // Boxes are in the upright frame of a page turned to be read; the PDF page is not turned.
        ocrPages: pages.map((p) => (p.rotation === 0 ? ocrPage(p.width, p.height, p.lines.flatMap((l) => l.words.map((w) => ({ text: w.text, ...w.bbox })))) : undefined)),
      };
      process.stderr.write(`${best.ms.toFixed(0)} ms\n`);
    }
  } finally {
    await pools.onApplicationShutdown();
  }
  return settings;
}

// 2. tesseract.js's own renderer: one worker with the service's model, every
// page recognised with and without `pdf: true`; a multi-page document's
// one-page PDFs joined with pdf-lib's copyPages (timed and counted).
async function runTesseractJs() {
  const langPath = dirname(await languageFile('eng', 'fast'));
  const worker = await createWorker('eng', OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none' });
  try {
    await worker.recognize(docs[0].images[0]); // untimed: a new worker's first page is slower
    for (const doc of docs) {
      process.stderr.write(`tesseract.js: ${doc.name}... `);
      const pdfs = [];
      const ocrPages = [];
      const texts = [];
      let [baseMs, baseCpu, pdfMs, pdfCpu] = [0, 0, 0, 0];
      for (const image of doc.images) {
        const bytes = readFileSync(image);
        const t = await paired(
          () => worker.recognize(bytes, {}, { text: true, blocks: true }),
          () => worker.recognize(bytes, {}, { text: true, blocks: true, pdf: true }),
        );
        [baseMs, baseCpu, pdfMs, pdfCpu] = [baseMs + t.base.ms, baseCpu + t.base.cpuMs, pdfMs + t.pdf.ms, pdfCpu + t.pdf.cpuMs];
        const { data } = t.pdf.value;
        pdfs.push(Buffer.from(data.pdf));
        texts.push(data.text);
        const { autoOrient } = await sharp(bytes).metadata();
        const words = (data.blocks ?? []).flatMap((b) => b.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words)));
        ocrPages.push(ocrPage(autoOrient.width, autoOrient.height, words.map((w) => ({ text: w.text, ...w.bbox }))));
      }
      const join_ = await timed(async () => {
        if (pdfs.length === 1) return pdfs[0];
        const out = await PDFDocument.create();
        for (const one of pdfs) {
          const source = await PDFDocument.load(one);
          for (const page of await out.copyPages(source, source.getPageIndices())) out.addPage(page);
        }
        return Buffer.from(await out.save());
      });
      const file = join(doc.dir, 'tesseractjs.pdf');
      writeFileSync(file, join_.value);
      const joinMs = pdfs.length === 1 ? 0 : join_.ms;
      doc.tesseractjs = {
        file, recognizeMs: baseMs, extraMs: pdfMs - baseMs + joinMs, extraCpuMs: pdfCpu - baseCpu + (pdfs.length === 1 ? 0 : join_.cpuMs), joinMs,
        ocrText: texts.join('\n\f'), ocrPages,
      };
      process.stderr.write(`text ${baseMs.toFixed(0)} ms, with PDF ${pdfMs.toFixed(0)} ms, join ${joinMs.toFixed(0)} ms\n`);
    }
  } finally {
    await worker.terminate();
  }
}

/** Tesseract's TSV (level 1: the page's size; level 5: words) as pages for boxOffsets. */
function tsvPages(tsv) {
  const pages = [];
  for (const row of tsv.split('\n').slice(1)) {
    const c = row.split('\t');
    if (c.length < 12) continue;
    const [level, page] = [Number(c[0]), Number(c[1])];
    const [left, top, width, height] = c.slice(6, 10).map(Number);
    if (level === 1) pages[page - 1] = ocrPage(width, height, []);
    else if (level === 5 && c[11].trim()) pages[page - 1].words.push({ text: c[11], x0: left, y0: top, x1: left + width, y1: top + height });
  }
  return pages;
}

// 3. The native engine's renderer, as a user runs it: Debian's model, the
// CLI's PSM 3, one thread; a multi-page document as a list of its page images
// in one call. The text run also writes TSV, for the OCR's word boxes.
async function runNative() {
  const env = { OMP_THREAD_LIMIT: '1' };
  for (const doc of docs) {
    process.stderr.write(`tesseract CLI: ${doc.name}... `);
    let input = doc.images[0];
    if (doc.images.length > 1) {
      input = join(doc.dir, 'pages.txt');
      writeFileSync(input, `${doc.images.join('\n')}\n`);
    }
    const [text, pdf] = [join(doc.dir, 'native-text'), join(doc.dir, 'native')];
    const t = await paired(
      () => execFileP('tesseract', [input, text, '-l', 'eng', 'txt', 'tsv'], env),
      () => execFileP('tesseract', [input, pdf, '-l', 'eng', 'pdf'], env),
    );
    doc.native = {
      file: `${pdf}.pdf`, recognizeMs: t.base.ms, extraMs: t.pdf.ms - t.base.ms, extraCpuMs: t.pdf.cpuMs - t.base.cpuMs,
      ocrText: readFileSync(`${text}.txt`, 'utf8'), ocrPages: tsvPages(readFileSync(`${text}.tsv`, 'utf8')),
    };
    process.stderr.write(`text ${t.base.ms.toFixed(0)} ms, with PDF ${t.pdf.ms.toFixed(0)} ms\n`);
  }
}

const CANDIDATES = [
  { key: 'ocrflow', name: 'ocrflow (pdf-lib)' },
  { key: 'tesseractjs', name: 'tesseract.js renderer' },
  { key: 'native', name: 'tesseract CLI renderer' },
];

let ocrflowSettings;
try {
  ocrflowSettings = await runOcrflow();
  await runTesseractJs();
  await runNative();

  // What poppler makes of each PDF.
  for (const doc of docs) {
    for (const { key } of CANDIDATES) {
      const r = doc[key];
      const extracted = pdfText(r.file);
      const content = { fonts: pdfFonts(r.file), images: pdfImages(r.file) };
      Object.assign(r, {
        bytes: statSync(r.file).size,
        pageSize: (({ width, height }) => `${Math.round(width)}x${Math.round(height)}`)(pdfWords(r.file)[0]),
        cerOwn: cer(r.ocrText, extracted),
        recallOwn: wordRecall(r.ocrText, extracted),
        cerTruth: cer(doc.truth, extracted),
        recallTruth: wordRecall(doc.truth, extracted),
        ocrCerTruth: cer(doc.truth, r.ocrText),
        boxes: boxOffsets(r.ocrPages, pdfWords(r.file)),
        content: contentSummary(content.fonts, content.images),
        kept: doc.isPdf ? contentKept(doc.inputContent, content) : undefined,
      });
    }
  }
} catch (error) {
  rmSync(work, { recursive: true, force: true });
  throw error;
}

// The tables: one per document type, a row per candidate.
const require = createRequire(import.meta.url);
const fmt = (x, d = 0) => (Number.isNaN(x) || x === undefined ? '-' : x.toFixed(d));
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(0.9 * (xs.length - 1))];
const pct = (x) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
console.log(`\nSearchable PDF bench, ${new Date().toISOString().slice(0, 10)}: ${docs.length} documents, ${totalPages} pages; fastest of ${rounds} round(s)`);
console.log(
  `machine: node ${process.version}, ${os.availableParallelism()} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
    `${native.tesseract} (${native.leptonica}); tesseract.js ${require('tesseract.js/package.json').version}; pdf-lib ${require('pdf-lib/package.json').version}`,
);
console.log(`ocrflow OCR: ${ocrflowSettings}. tesseract.js: its defaults (PSM 6), the service's fast model. CLI: Debian's model, PSM 3.`);
const header =
  '| candidate | PDF ms/page (wall / CPU) | size: KB, x input, +KB/page | within bound | page 1, pt | pdftotext vs OCR text: CER, word recall | vs truth: CER (OCR text\'s) | word boxes: matched; Δ px median left / right / y; right p90 | page content kept | fonts; images |';
for (const type of Object.values(TYPES)) {
  const set = docs.filter((d) => d.type === type);
  if (set.length === 0) continue;
  const pages = set.reduce((n, d) => n + d.pages, 0);
  const input = set.reduce((n, d) => n + d.original.length, 0);
  console.log(`\n${type}: ${set.length} document(s), ${pages} page(s), ${(input / 1024).toFixed(0)} KB in` +
    (set.some((d) => d.renderMs) ? `; pdftoppm -r 300 for the Tesseract renderers ${fmt(set.reduce((n, d) => n + d.renderMs, 0) / pages)} ms/page (not counted below)` : '') +
    (set.some((d) => d.approximateTruth) ? '; truth approximate (OCRmyPDF\'s own reference text)' : ''));
  console.log(header);
  console.log(`|${'---|'.repeat(10)}`);
  for (const { key, name } of CANDIDATES) {
    const rs = set.map((d) => d[key]);
    const bytes = rs.reduce((n, r) => n + r.bytes, 0);
    const within = set.filter((d) => d[key].bytes <= bound(d.original.length, d.pages)).length;
    const all = (field) => rs.flatMap((r) => r.boxes[field]);
    const matched = rs.reduce((n, r) => n + r.boxes.matched, 0);
    const total = rs.reduce((n, r) => n + r.boxes.total, 0);
    const kept = rs.every((r) => r.kept === undefined) ? 'n/a (image input)' : rs.every((r) => r.kept) ? 'yes' : 'no';
    console.log(
      `| ${name} | ${fmt(rs.reduce((n, r) => n + r.extraMs, 0) / pages)} / ${fmt(rs.reduce((n, r) => n + r.extraCpuMs, 0) / pages)} ` +
        `| ${fmt(bytes / 1024)}, ${fmt(bytes / input, 2)}, ${fmt((bytes - input) / 1024 / pages, 1)} | ${within}/${set.length} ` +
        `| ${[...new Set(rs.map((r) => r.pageSize))].join(', ')} ` +
        `| ${pct(mean(rs.map((r) => r.cerOwn)))}, ${pct(mean(rs.map((r) => r.recallOwn)))} ` +
        `| ${pct(mean(rs.map((r) => r.cerTruth)))} (${pct(mean(rs.map((r) => r.ocrCerTruth)))}) ` +
        `| ${matched}/${total}; ${fmt(median(all('dx0')), 1)} / ${fmt(median(all('dx1')), 1)} / ${fmt(median(all('dy')), 1)}; ${fmt(p90(all('dx1')), 1)} ` +
        `| ${kept} | ${[...new Set(rs.map((r) => r.content))].join(' / ')} |`,
    );
  }
  const inputs = set.filter((d) => d.inputContent).map((d) => contentSummary(d.inputContent.fonts, d.inputContent.images));
  if (inputs.length) console.log(`input: ${[...new Set(inputs)].join(' / ')}`);
}
console.log(
  '\nPDF ms/page: ocrflow = searchablePdf alone; tesseract.js = recognize with pdf:true minus without, plus joining pages (pdf-lib copyPages); ' +
    'CLI = `pdf` run minus `txt tsv` run. Bound: 1.5 x input + 20 KB/page. Box Δ: |edge difference| between the OCR word box and ' +
    "pdftotext -bbox-layout's box of the same word, in pixels of the page image (at 300 dpi 1 px = 0.24 pt).",
);

const resultsDir = join(ROOT, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const resultFile = join(resultsDir, `outputs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const summary = docs.map((d) => ({
  name: d.name, type: d.type, pages: d.pages, inputBytes: d.original.length, renderMs: d.renderMs,
  ...Object.fromEntries(
    CANDIDATES.map(({ key }) => {
      const { file, ocrText, ocrPages, boxes, ...rest } = d[key];
      const { matched, total, dx0, dx1, dy } = boxes;
      return [key, { ...rest, file: basename(file), boxes: { matched, total, dx0: median(dx0), dx1: median(dx1), dy: median(dy), dx1p90: p90(dx1) } }];
    }),
  ),
}));
writeFileSync(resultFile, JSON.stringify({ node: process.version, native, rounds, ocrflow: ocrflowSettings, documents: summary }, null, 1));
console.log(`per-document results: ${resultFile}`);
if (process.env.BENCH_KEEP) console.log(`PDFs kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
// The reader's spare thread (see DocumentReader) is meant not to keep a process
// alive, yet here it does (its stdout stream's port, it seems): end explicitly.
process.exit(0);
