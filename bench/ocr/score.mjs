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
 * SROIE ground truth in reading order, as score.py's sroie_gt_text(order="yx"):
 * boxes grouped into lines by vertical centre (tolerance half the median box
 * height), lines top to bottom, boxes left to right. The csv's own order is not
 * always reading order.
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
