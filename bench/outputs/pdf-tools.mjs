// What poppler's tools (the reference readers of a searchable PDF) make of
// one: its text, its word boxes, its fonts and images; and how those compare
// with what the OCR read.
import { execFileSync, spawnSync } from 'node:child_process';
import { normText } from '../ocr/score.mjs';

const run = (command, args) => execFileSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/** The poppler tools the bench needs that are not on PATH. */
export function missingTools() {
  return ['pdftotext', 'pdffonts', 'pdfimages', 'pdftoppm'].filter((tool) => spawnSync(tool, ['-v']).error);
}

/** `pdftotext`'s text of the whole file, as a user extracts it. */
export const pdfText = (file) => run('pdftotext', ['-enc', 'UTF-8', file, '-']);

const unescape = (s) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/**
 * Every page's size and words in points as `pdftotext -bbox-layout` finds
 * them: origin top-left of the page as shown, y down.
 */
export function pdfWords(file) {
  const html = run('pdftotext', ['-enc', 'UTF-8', '-bbox-layout', file, '-']);
  return [...html.matchAll(/<page width="([\d.]+)" height="([\d.]+)">([\s\S]*?)<\/page>/g)].map(([, width, height, body]) => ({
    width: Number(width),
    height: Number(height),
    words: [...body.matchAll(/<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)<\/word>/g)].map(
      ([, x0, y0, x1, y1, text]) => ({ text: unescape(text), x0: Number(x0), y0: Number(y0), x1: Number(x1), y1: Number(y1) }),
    ),
  }));
}

/** `pdffonts`'s rows: name, type, embedded. */
export function pdfFonts(file) {
  return run('pdffonts', [file])
    .split('\n')
    .slice(2)
    .filter((line) => line.trim())
    .map((line) => {
      const cols = line.trim().split(/\s+/);
      // name type [type2] encoding emb sub uni object ID: the last five are fixed.
      return { name: cols[0], type: cols.slice(1, -6).join(' '), embedded: cols.at(-5) === 'yes' };
    });
}

/** `pdfimages -list`'s rows: page, size in pixels, colour, bits, encoding, bytes. */
export function pdfImages(file) {
  return run('pdfimages', ['-list', file])
    .split('\n')
    .slice(2)
    .filter((line) => line.trim())
    .map((line) => {
      const c = line.trim().split(/\s+/);
      return { page: Number(c[0]), width: Number(c[3]), height: Number(c[4]), color: c[5], bpc: Number(c[7]), enc: c[8], size: c[14] };
    });
}

/** A short description of a PDF's fonts and images, e.g. "GlyphLessFont; 1 jpeg 1700x2200 gray". */
export function contentSummary(fonts, images) {
  const fontNames = [...new Set(fonts.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')))];
  const kinds = new Map();
  for (const i of images) {
    const key = `${i.enc} ${i.color}${i.bpc === 1 ? ' 1-bit' : ''}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  const imageText = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'no images';
  return `${fontNames.join(', ') || 'no fonts'}; ${imageText}`;
}

/**
 * Whether `output` holds the input's page content untouched: every font of
 * the input still there under its own name, and the same images (size and
 * encoding) on the same pages, none added.
 */
export function contentKept(input, output) {
  const key = (i) => `${i.page} ${i.width}x${i.height} ${i.enc} ${i.bpc}`;
  const fontsKept = input.fonts.every((f) => output.fonts.some((g) => g.name === f.name && g.type === f.type));
  const same = JSON.stringify(input.images.map(key).sort()) === JSON.stringify(output.images.map(key).sort());
  return fontsKept && same;
}

const words = (text) => normText(text).split(' ').filter(Boolean);

/** The share of `ref`'s words (with repeats) found among `hyp`'s, order ignored. */
export function wordRecall(ref, hyp) {
  const want = words(ref);
  if (want.length === 0) return NaN;
  const have = new Map();
  for (const w of words(hyp)) have.set(w, (have.get(w) ?? 0) + 1);
  let found = 0;
  for (const w of want) {
    const n = have.get(w) ?? 0;
    if (n > 0) {
      found += 1;
      have.set(w, n - 1);
    }
  }
  return found / want.length;
}

/**
 * The OCR's word boxes against the boxes `pdftotext -bbox-layout` finds in
 * the PDF. `ocrPages[i]`: `{ width, height, words: [{ text, x0, y0, x1, y1 }] }`
 * in the pixels of the image page i was read from (undefined: not compared).
 * The PDF's boxes are scaled to those pixels: the renderers size pages
 * differently (Tesseract's makes a PNG without a resolution a page of one
 * point a pixel), so points would not compare. Each OCR word is paired with
 * the unused PDF word of the same text whose centre is nearest; for each pair
 * the distance of the left edges, of the right edges, and the mean of the top
 * and bottom edges'.
 */
export function boxOffsets(ocrPages, pdfPages) {
  const dx0 = [];
  const dx1 = [];
  const dy = [];
  let total = 0;
  ocrPages.forEach((page, i) => {
    const pdfPage = pdfPages[i];
    if (!page || !pdfPage) return;
    const [sx, sy] = [page.width / pdfPage.width, page.height / pdfPage.height];
    const byText = new Map();
    for (const w of pdfPage.words) {
      const box = { x0: w.x0 * sx, y0: w.y0 * sy, x1: w.x1 * sx, y1: w.y1 * sy, used: false };
      byText.set(w.text, [...(byText.get(w.text) ?? []), box]);
    }
    for (const w of page.words) {
      const text = w.text.trim();
      if (!text) continue;
      total += 1;
      const centre = (b) => [(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2];
      const [cx, cy] = centre(w);
      let best;
      let bestDistance = Infinity;
      for (const candidate of byText.get(text) ?? []) {
        if (candidate.used) continue;
        const [px, py] = centre(candidate);
        const distance = Math.hypot(px - cx, py - cy);
        if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
      }
      if (!best) continue;
      best.used = true;
      dx0.push(Math.abs(best.x0 - w.x0));
      dx1.push(Math.abs(best.x1 - w.x1));
      dy.push((Math.abs(best.y0 - w.y0) + Math.abs(best.y1 - w.y1)) / 2);
    }
  });
  return { matched: dx0.length, total, dx0, dx1, dy };
}
