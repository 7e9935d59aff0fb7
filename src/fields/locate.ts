import { distance } from 'fastest-levenshtein';
import type { ExtractedField, ExtractPage, FieldSpec } from './extraction.js';
import { labelHits, matchesIn, toField, type Candidate } from './labels.js';
import { key, rowsOf, type Row, type Span } from './layout.js';
import { DATE_SEARCH, MONEY_SEARCH, normaliseValue } from './normalise.js';

/** Text that differs from the value by more than this share of its characters is not taken for it. */
const MIN_SIMILARITY = 0.8;
const NUMBER_SEARCH = /-?\d+(?:[.,]\d+)*/g;

/**
 * Where a value that came from elsewhere (an LLM's answer) is printed: the
 * words that read as it, with the value normalised and evidence of their boxes.
 * Amounts, numbers and dates compare by normalised value ("124.19" finds
 * "$124.19", "2024-01-17" finds "17/01/2024"); text compares by letters and
 * digits, tolerating OCR's spacing, case, punctuation and a few misread
 * characters, and may run over several rows (an address). Undefined when it is
 * printed nowhere.
 */
export function locateValue(spec: FieldSpec, text: string, pages: ExtractPage[]): ExtractedField | undefined {
  const target = normaliseValue(spec, text);
  if (!target) return undefined;
  const rows = pages.flatMap(rowsOf);
  const search = spec.kind === 'money' ? MONEY_SEARCH : spec.kind === 'date' ? DATE_SEARCH : spec.kind === 'number' ? NUMBER_SEARCH : undefined;
  const best = search ? byValue(spec, target.value, rows, search) : byText(key(String(target.value)), rows);
  if (!best) return undefined;
  if (search) return toField(spec, best);
  // A text field keeps the value it was given, which OCR may have misread a character of.
  const field = toField({ ...spec, kind: 'string' }, best);
  return field && { ...field, value: target.value };
}

/** The printed amount or date equal to the value; one on a row with the field's label first, then the first. */
function byValue(spec: FieldSpec, value: string | number, rows: Row[], search: RegExp): Candidate | undefined {
  let best: Candidate | undefined;
  for (const row of rows) {
    for (const m of matchesIn(row, search)) {
      if (normaliseValue(spec, m.raw)?.value !== value) continue;
      const score = labelHits(row, spec.labels).length > 0 ? 1 : 0;
      if (!best || score > best.score) best = { spans: [m.span], raw: m.raw, score, certainty: 1 };
    }
  }
  return best;
}

/** The run of words, possibly over several rows, whose letters and digits come closest to the target's. */
function byText(target: string, rows: Row[]): Candidate | undefined {
  if (!target) return undefined;
  const words = rows.flatMap((row) => row.words.map((w, i) => ({ row, i, key: key(w.text) })));
  let best: { from: number; to: number; similarity: number } | undefined;
  for (let from = 0; from < words.length; from++) {
    // Only where the target could begin: a cheap test that keeps long documents fast.
    const first = words[from].key;
    if (!first || distance(first, target.slice(0, first.length)) > Math.max(1, first.length / 4)) continue;
    let joined = '';
    for (let to = from; to < words.length && joined.length <= target.length * 1.25; to++) {
      joined += words[to].key;
      if (joined.length < target.length * 0.75) continue;
      const similarity = 1 - distance(joined, target) / Math.max(joined.length, target.length);
      if (similarity >= MIN_SIMILARITY && (!best || similarity > best.similarity)) best = { from, to: to + 1, similarity };
    }
  }
  if (!best) return undefined;
  const spans: Span[] = [];
  for (const w of words.slice(best.from, best.to)) {
    const last = spans.at(-1);
    if (last && last.row === w.row) last.to = w.i + 1;
    else spans.push({ row: w.row, from: w.i, to: w.i + 1 });
  }
  const raw = spans.map((s) => s.row.words.slice(s.from, s.to).map((w) => w.text).join(' ')).join(' ');
  return { spans, raw, score: best.similarity, certainty: best.similarity };
}
