// Character error rate as /work/shared/corpus/tools/score.py computes it, so the
// figures printed here can be compared with the corpus README's reference table.
import { readFileSync } from 'node:fs';

/** Levenshtein distance over code points (Python iterates code points, not UTF-16 units). */
export function levenshtein(a, b) {
  let s = Array.from(a);
  let t = Array.from(b);
  if (s.length < t.length) [s, t] = [t, s];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[t.length];
}

/**
 * NFKC, case-fold, collapse whitespace. JS has no casefold(); toLowerCase() differs
 * from it only for a handful of letters (ß, ſ, ...) that English receipts do not use.
 */
export function normText(s) {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Levenshtein distance over the length of the normalised reference (0 = perfect). */
export function cer(ref, hyp) {
  const r = normText(ref);
  const h = normText(hyp);
  if (r.length === 0) return h.length === 0 ? 0 : 1;
  return levenshtein(r, h) / Array.from(r).length;
}

/**
 * Order-independent word F1, as score.py's word_f1: the normalised texts as
 * bags of words, precision and recall over their multiset overlap.
 */
export function wordF1(ref, hyp) {
  const bag = (s) => {
    const counts = new Map();
    for (const w of normText(s).split(' ').filter(Boolean)) counts.set(w, (counts.get(w) ?? 0) + 1);
    return counts;
  };
  const r = bag(ref);
  const h = bag(hyp);
  let tp = 0;
  for (const [w, n] of h) tp += Math.min(n, r.get(w) ?? 0);
  const total = (counts) => [...counts.values()].reduce((a, b) => a + b, 0);
  const precision = tp / Math.max(1, total(h));
  const recall = tp / Math.max(1, total(r));
  return { precision, recall, f1: tp === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/**
 * Reading order as score.py's: items `{ cy, x, h, text }` grouped into lines
 * by vertical centre (tolerance half the median height), lines top to bottom,
 * items left to right.
 */
function readingOrder(items) {
  if (items.length === 0) return '';
  const hs = items.map((i) => i.h).sort((a, b) => a - b);
  const tol = Math.max(1, hs[Math.floor(hs.length / 2)] / 2);
  items.sort((a, b) => a.cy - b.cy);
  const lines = [];
  let cur = [];
  let curY = 0;
  for (const it of items) {
    if (cur.length > 0 && Math.abs(it.cy - curY) > tol) {
      lines.push(cur);
      cur = [];
    }
    if (cur.length === 0) curY = it.cy;
    cur.push(it);
  }
  if (cur.length > 0) lines.push(cur);
  return lines.map((l) => l.sort((a, b) => a.x - b.x).map((i) => i.text).join(' ')).join('\n');
}

/**
 * SROIE ground truth in reading order, as score.py's sroie_gt_text(order="yx"):
 * the csv's own order is not always reading order.
 */
export function sroieGtText(csvPath) {
  const items = [];
  for (const raw of readFileSync(csvPath, 'utf8').split(/\r?\n/)) {
    if (!raw.trim()) continue;
    const parts = raw.split(',');
    if (parts.length < 9) continue;
    const q = parts.slice(0, 8).map((p) => Math.trunc(Number(p)));
    const text = parts.slice(8).join(',');
    const ys = [q[1], q[3], q[5], q[7]];
    const xs = [q[0], q[2], q[4], q[6]];
    items.push({ cy: (Math.min(...ys) + Math.max(...ys)) / 2, x: Math.min(...xs), h: Math.max(...ys) - Math.min(...ys), text });
  }
  return readingOrder(items);
}

/** FUNSD ground truth: every non-blank word in reading order, as score.py's funsd_gt_text(order="yx"). */
export function funsdGtText(jsonPath) {
  const { form } = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const items = form
    .flatMap((entity) => entity.words ?? [])
    .filter((w) => w.text.trim())
    .map(({ box: [x0, y0, , y1], text }) => ({ cy: (y0 + y1) / 2, x: x0, h: y1 - y0, text }));
  return readingOrder(items);
}
