// SROIE helpers for the fields bench: ground-truth boxes as a page, predictions
// in SROIE's key format, and scoring with the corpus's own score.py.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A receipt's ground-truth boxes (`x1,y1,…,x4,y4,text`, split on the first 8
 * commas) as an ExtractPage: one line per box, its words' boxes cut from the
 * box in proportion to their characters. The extractor groups them into rows
 * by height itself, as it does Tesseract's lines.
 */
export function boxPage(csvPath) {
  const lines = [];
  for (const row of readFileSync(csvPath, 'utf8').split(/\r?\n/)) {
    const parts = row.split(',');
    if (parts.length < 9) continue;
    const q = parts.slice(0, 8).map(Number);
    const text = parts.slice(8).join(',').trim();
    if (!text || q.some(Number.isNaN)) continue;
    const xs = [q[0], q[2], q[4], q[6]];
    const ys = [q[1], q[3], q[5], q[7]];
    const bbox = { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
    const perChar = (bbox.x1 - bbox.x0) / Math.max(1, text.length);
    const words = [];
    for (const m of text.matchAll(/\S+/g)) {
      const x0 = Math.round(bbox.x0 + m.index * perChar);
      words.push({ text: m[0], confidence: 95, bbox: { x0, y0: bbox.y0, x1: Math.round(x0 + m[0].length * perChar), y1: bbox.y1 } });
    }
    lines.push({ text: words.map((w) => w.text).join(' '), confidence: 95, bbox, words });
  }
  const width = Math.max(1, ...lines.map((l) => l.bbox.x1));
  const height = Math.max(1, ...lines.map((l) => l.bbox.y1));
  return { number: 1, width, height, lines };
}

/**
 * An Extraction of the receipt schema as a SROIE key file. The date is the
 * text as printed: SROIE's keys hold the printed date and its lenient score
 * compares digits, so an ISO date would count as wrong.
 */
export function toKey(extraction) {
  const f = extraction.fields;
  return {
    company: f.company?.value ?? '',
    date: f.date?.raw ?? '',
    address: f.address?.value ?? '',
    total: f.total?.value ?? '',
  };
}

export function writeKeys(dir, keys) {
  mkdirSync(dir, { recursive: true });
  for (const [name, key] of Object.entries(keys)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(key));
}

/** `score.py sroie-eval` over the named receipts only (it scores every key in its folder, so those are linked into one). */
export function scoreKeys(scorePy, keyDir, names, predDir, work) {
  const gt = join(work, 'gt');
  mkdirSync(gt, { recursive: true });
  for (const n of names) {
    try {
      symlinkSync(join(keyDir, `${n}.json`), join(gt, `${n}.json`));
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  return JSON.parse(execFileSync('python3', [scorePy, 'sroie-eval', gt, predDir], { encoding: 'utf8' }));
}
