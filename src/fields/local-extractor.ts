import { completeExtraction } from './complete.js';
import type { ExtractedField, Extraction, ExtractionSchema, ExtractPage, FieldSpec } from './extraction.js';
import { labelHits, matchesIn, patternTest, toField, type Candidate, type LabelHit } from './labels.js';
import { height, rowsOf, spanAt, type Layout, type Row, type Span } from './layout.js';
import { DATE_SEARCH, MONEY_SEARCH, parseDate } from './normalise.js';
import { addressCandidate, isTotalField, totalCandidates, vendorCandidate } from './receipt-rules.js';

const VENDOR_FIELD = /^(company|vendor|merchant|seller|supplier|store|shop|business|issuer)(_?name)?$/i;
const ADDRESS_FIELD = /address/i;
/** Words of a row more than this many row heights apart belong to different columns. */
const COLUMN_GAP = 1.5;

/**
 * The default extractor: rules over the pages' words and boxes, no network.
 * Each field is looked for the way such a field is printed: after its label
 * (to the right on the same row, or below), a total near the bottom after a
 * "total" label, a date anywhere in a known format, the vendor in the top rows
 * and its address under it.
 */
export function extractLocally(schema: ExtractionSchema, pages: ExtractPage[]): Extraction {
  const layout: Layout = { pages, rows: pages.map(rowsOf) };
  const fields: Record<string, ExtractedField | null> = {};
  for (const spec of schema.fields) {
    const accepts = patternTest(spec);
    const candidates = candidatesFor(spec, schema, layout).filter((c) => accepts(c.raw));
    candidates.sort((a, b) => b.score - a.score);
    fields[spec.name] = candidates.map((c) => toField(spec, c)).find((f) => f !== undefined) ?? null;
  }
  return completeExtraction(schema, fields, 'local');
}

function candidatesFor(spec: FieldSpec, schema: ExtractionSchema, layout: Layout): Candidate[] {
  if (spec.kind === 'string' && VENDOR_FIELD.test(spec.name)) {
    const vendor = vendorCandidate(layout);
    return [...labelledCandidates(spec, layout, 'colon'), ...(vendor ? [vendor] : [])];
  }
  if (spec.kind === 'string' && ADDRESS_FIELD.test(spec.name)) {
    const address = addressCandidate(layout);
    return [...labelledCandidates(spec, layout, 'colon'), ...(address ? [address] : [])];
  }
  if (spec.kind === 'money' && isTotalField(spec)) return totalCandidates(spec, layout);
  if (spec.kind === 'date') return dateCandidates(spec, schema, layout);
  if (spec.kind === 'enum') return [...labelledCandidates(spec, layout, 'anywhere'), ...enumCandidates(spec, layout)];
  return labelledCandidates(spec, layout, spec.kind === 'string' ? 'start-or-colon' : 'anywhere');
}

/**
 * Values printed after one of the field's labels: on the same row to its right,
 * else on the row below. A string value runs to the next column gap; it needs
 * its label at the start of a row or followed by a colon, since any text would
 * read as a string.
 */
function labelledCandidates(spec: FieldSpec, layout: Layout, where: LabelPlace): Candidate[] {
  const out: Candidate[] = [];
  for (const rows of layout.rows) {
    for (const row of rows) {
      for (const hit of labelHits(row, spec.labels)) {
        if (!standsAsLabel(hit, where)) continue;
        const right = valueAfter(spec, row, hit.end);
        const below = valueBelow(spec, rows, hit);
        const score = hit.strength * 10 - row.index * 0.01;
        if (right) out.push({ ...right, score, certainty: 0.9 });
        if (below) out.push({ ...below, score: score - 1, certainty: 0.75 });
      }
    }
  }
  return out;
}

/**
 * Where a label must stand for a value to be read after it. Any text reads as
 * a string, so a string's label must end with a colon or start its row; the
 * vendor and address, found by position otherwise, only take a "Label:" form.
 */
type LabelPlace = 'anywhere' | 'start-or-colon' | 'colon';

function standsAsLabel(hit: LabelHit, where: LabelPlace): boolean {
  if (where === 'anywhere') return true;
  const colon = /^\s*[:#]/.test(hit.row.text.slice(hit.end)) || /[:#]\s*$/.test(hit.row.text.slice(hit.start, hit.end));
  return colon || (where === 'start-or-colon' && hit.start === 0);
}

/** The value right of `from` in a row: the first amount or date for those kinds, the rest of the column for text. */
function valueAfter(spec: FieldSpec, row: Row, from: number): { spans: Span[]; raw: string } | undefined {
  const search = spec.kind === 'money' || spec.kind === 'number' ? MONEY_SEARCH : spec.kind === 'date' ? DATE_SEARCH : undefined;
  if (search) {
    const m = matchesIn(row, search, from).find((x) => spec.kind !== 'date' || parseDate(x.raw));
    return m && { spans: [m.span], raw: m.raw };
  }
  const start = row.text.slice(from).search(/[^\s:#.-]/);
  if (start < 0) return undefined;
  const span = untilGap(spanAt(row, from + start, from + start + 1));
  const raw = row.text.slice(Math.max(from + start, row.starts[span.from]), row.starts[span.to - 1] + row.words[span.to - 1].text.length);
  return raw.trim() ? { spans: [span], raw: raw.trim() } : undefined;
}

/** The value on the next row, under the label or to its right. */
function valueBelow(spec: FieldSpec, rows: Row[], hit: LabelHit): { spans: Span[]; raw: string } | undefined {
  const next = rows[hit.row.index + 1];
  if (!next || next.bbox.y0 - hit.row.bbox.y1 > 1.5 * height(hit.row.bbox)) return undefined;
  const labelX = hit.row.words[spanAt(hit.row, hit.start, hit.end).from].bbox.x0;
  const first = next.words.findIndex((w) => w.bbox.x1 > labelX);
  return first < 0 ? undefined : valueAfter(spec, next, next.starts[first]);
}

/** The words from `span` on, up to the first gap wide enough to start another column. */
function untilGap(span: Span): Span {
  const { words } = span.row;
  const gap = COLUMN_GAP * height(span.row.bbox);
  let to = span.from + 1;
  while (to < words.length && words[to].bbox.x0 - words[to - 1].bbox.x1 < gap) to++;
  return { ...span, to };
}

/** One of an enum's values printed anywhere, as whole words; after labelled ones. */
function enumCandidates(spec: FieldSpec, layout: Layout): Candidate[] {
  const values = (spec.values ?? []).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (values.length === 0) return [];
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${values.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
  return layout.rows.flat().flatMap((row) => matchesIn(row, pattern).map((m) => ({ spans: [m.span], raw: m.raw, score: -row.page - row.index * 0.01, certainty: 0.6 })));
}

/**
 * Dates anywhere, in any known format. One after this field's label wins; one
 * after another date field's label ("Due") is that field's. With no labelled
 * date, the field that is "the" date of the document takes the first free one.
 */
function dateCandidates(spec: FieldSpec, schema: ExtractionSchema, layout: Layout): Candidate[] {
  const dateFields = schema.fields.filter((f) => f.kind === 'date');
  const general = dateFields.length === 1 || spec.labels.includes('date');
  const out: Candidate[] = [];
  for (const rows of layout.rows) {
    for (const row of rows) {
      for (const m of matchesIn(row, DATE_SEARCH)) {
        if (!parseDate(m.raw)) continue;
        const owner = labelOwner(dateFields, row, m.start, rows[row.index - 1], m.span);
        if (owner && owner.field !== spec) continue;
        if (!owner && !general) continue;
        const score = (owner ? 10 + owner.hit.strength : 0) - (row.page - 1) * 100 - row.index * 0.01;
        out.push({ spans: [m.span], raw: m.raw, score, certainty: owner ? 0.95 : 0.7 });
      }
    }
  }
  return out;
}

/** The date field whose label is printed closest before the date on its row, or right above it. */
function labelOwner(fields: FieldSpec[], row: Row, start: number, above: Row | undefined, span: Span) {
  let best: { field: FieldSpec; hit: LabelHit } | undefined;
  for (const field of fields) {
    for (const hit of labelHits(row, field.labels)) {
      if (hit.end > start) continue;
      if (!best || hit.end > best.hit.end || (hit.end === best.hit.end && hit.strength > best.hit.strength)) best = { field, hit };
    }
  }
  if (best || !above) return best;
  const x0 = row.words[span.from].bbox.x0;
  const x1 = row.words[span.to - 1].bbox.x1;
  for (const field of fields) {
    for (const hit of labelHits(above, field.labels)) {
      const label = spanAt(above, hit.start, hit.end);
      const lx0 = above.words[label.from].bbox.x0;
      const lx1 = above.words[label.to - 1].bbox.x1;
      if (lx0 < x1 && x0 < lx1 && (!best || hit.strength > best.hit.strength)) best = { field, hit };
    }
  }
  return best;
}
