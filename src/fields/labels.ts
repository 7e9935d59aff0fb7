import type { ExtractedField, FieldSpec } from './extraction.js';
import { compileFieldPattern } from './field-pattern.js';
import { confidenceOf, evidenceOf, spanAt, type Row, type Span } from './layout.js';
import { normaliseValue } from './normalise.js';

/** A label found in a row: where it ends in the row's text, and how specific it is (its word count). */
export interface LabelHit {
  row: Row;
  start: number;
  end: number;
  strength: number;
}

/**
 * A regular expression for a printed label: its words in order, with any
 * spacing or punctuation OCR put between them ("TOTAL:", "Invoice #", "SUB-TOTAL").
 * Label text is escaped: it is data, not a pattern.
 */
function labelPattern(label: string): RegExp {
  let pattern = patterns.get(label);
  if (!pattern) {
    if (patterns.size >= MAX_CACHED_LABELS) patterns.clear();
    pattern = compileLabel(label);
    patterns.set(label, pattern);
  }
  return pattern;
}

/** Compiled label patterns, kept while there are few: custom schemas of many jobs bring new labels without end. */
const patterns = new Map<string, RegExp>();
const MAX_CACHED_LABELS = 2000;

function compileLabel(label: string): RegExp {
  const words = label
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![\\p{L}\\p{N}])${words.join('[\\s.:#/-]*')}(?![\\p{L}])`, 'giu');
}

/** Every place in a row one of `labels` is printed, longest label first where two overlap. */
export function labelHits(row: Row, labels: string[]): LabelHit[] {
  const hits: LabelHit[] = [];
  for (const label of labels) {
    const strength = label.split(/[^\p{L}\p{N}]+/u).filter(Boolean).length;
    if (strength === 0) continue;
    for (const m of row.text.matchAll(labelPattern(label))) {
      hits.push({ row, start: m.index, end: m.index + m[0].length, strength });
    }
  }
  hits.sort((a, b) => b.strength - a.strength || a.start - b.start);
  return hits.filter((h, i) => !hits.slice(0, i).some((o) => o.start < h.end && h.start < o.end));
}

/** A possible value of a field: where it was read and how well it fits. */
export interface Candidate {
  spans: Span[];
  raw: string;
  score: number;
  /** How it was found, 0–1: multiplied into the word confidence. */
  certainty: number;
}

/** A candidate as a result field, or undefined when its text does not read as the field's kind. */
export function toField(spec: FieldSpec, candidate: Candidate): ExtractedField | undefined {
  const normalised = normaliseValue(spec, candidate.raw);
  if (!normalised) return undefined;
  const confidence = Math.round(confidenceOf(candidate.spans) * candidate.certainty * 100) / 100;
  return { ...normalised, raw: candidate.raw, confidence, evidence: evidenceOf(candidate.spans) };
}

/** Matches of `pattern` in the row's text from `from` on, as spans with their exact text. */
export function matchesIn(row: Row, pattern: RegExp, from = 0): { span: Span; raw: string; start: number }[] {
  const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  re.lastIndex = from;
  const out: { span: Span; raw: string; start: number }[] = [];
  for (let m = re.exec(row.text); m; m = re.exec(row.text)) {
    const raw = m[0].trim();
    const start = m.index + m[0].indexOf(raw);
    out.push({ span: spanAt(row, start, start + raw.length), raw, start });
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** The schema's `x-pattern` as a test on a candidate's raw text; everything passes without one. */
export function patternTest(spec: FieldSpec): (raw: string) => boolean {
  if (!spec.pattern) return () => true;
  const re = compileFieldPattern(spec.pattern);
  return (raw) => re.test(raw);
}
