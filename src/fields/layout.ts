import { unionBoxes, type BBox, type OcrLine, type OcrWord } from '../ocr/ocr-types.js';
import type { Evidence, ExtractPage } from './extraction.js';

/**
 * One visual row of a page: the words of every OCR line whose boxes sit at the
 * same height, left to right. Tesseract may read one printed row as two lines
 * (a label at the left margin, its amount far right), and ground-truth boxes
 * of receipts are separate phrases; a row puts them back together.
 */
export interface Row {
  page: number;
  /** Index of the row on its page, top to bottom. */
  index: number;
  words: OcrWord[];
  /** The words joined by single spaces. */
  text: string;
  /** Where each word starts in `text`. */
  starts: number[];
  bbox: BBox;
}

/** A document as the rules see it: each page's rows, top to bottom. */
export interface Layout {
  pages: ExtractPage[];
  rows: Row[][];
}

/** A run of words of one row, what a value is read from. */
export interface Span {
  row: Row;
  /** First word (inclusive) and last word (exclusive) in `row.words`. */
  from: number;
  to: number;
}

/** The page's rows, top to bottom. */
export function rowsOf(page: ExtractPage): Row[] {
  const lines = page.lines.map((l) => ({ ...l, words: l.words.filter((w) => w.text.trim() !== '') })).filter((l) => l.words.length > 0);
  lines.sort((a, b) => centre(a.bbox) - centre(b.bbox));
  const groups: OcrLine[][] = [];
  for (const line of lines) {
    // Only recent rows can share this line's height; the nearest line of a row
    // (horizontally) decides, so a slightly tilted row still joins up, and the
    // row it overlaps most wins when a tilt makes it touch two.
    let group: OcrLine[] | undefined;
    let best = 0.5;
    for (const g of groups.slice(-4)) {
      const overlap = rowOverlap(g, line);
      if (overlap >= best) [group, best] = [g, overlap];
    }
    if (group) group.push(line);
    else groups.push([line]);
  }
  const rows = groups.map((g, i) => row(page.number, i, g.flatMap((l) => l.words)));
  rows.sort((a, b) => centre(a.bbox) - centre(b.bbox));
  rows.forEach((r, i) => (r.index = i));
  return rows;
}

/** How much of the line's height it shares with the row's nearest line (0 when they overlap sideways, being two rows). */
function rowOverlap(group: OcrLine[], line: OcrLine): number {
  const gap = (l: OcrLine) => Math.max(0, l.bbox.x0 - line.bbox.x1, line.bbox.x0 - l.bbox.x1);
  const nearest = group.reduce((a, b) => (gap(b) < gap(a) ? b : a));
  const horizontalOverlap = Math.min(nearest.bbox.x1, line.bbox.x1) - Math.max(nearest.bbox.x0, line.bbox.x0);
  if (horizontalOverlap > 0.3 * Math.min(width(nearest.bbox), width(line.bbox))) return 0;
  const overlap = Math.min(nearest.bbox.y1, line.bbox.y1) - Math.max(nearest.bbox.y0, line.bbox.y0);
  return overlap / Math.max(1, Math.min(height(nearest.bbox), height(line.bbox)));
}

function row(page: number, index: number, words: OcrWord[]): Row {
  const sorted = [...words].sort((a, b) => a.bbox.x0 - b.bbox.x0);
  const starts: number[] = [];
  let text = '';
  for (const w of sorted) {
    if (text) text += ' ';
    starts.push(text.length);
    text += w.text;
  }
  return { page, index, words: sorted, text, starts, bbox: unionBoxes(sorted.map((w) => w.bbox)) };
}

/** The span of whole words covering `text.slice(start, end)` of a row. */
export function spanAt(row: Row, start: number, end: number): Span {
  let from = 0;
  while (from + 1 < row.words.length && row.starts[from + 1] <= start) from++;
  let to = from + 1;
  while (to < row.words.length && row.starts[to] < end) to++;
  return { row, from, to };
}

export function spanText(span: Span): string {
  return span.row.words
    .slice(span.from, span.to)
    .map((w) => w.text)
    .join(' ');
}

/** The union of the boxes of several spans' words, on the page of the first. */
export function evidenceOf(spans: Span[]): Evidence {
  return { page: spans[0].row.page, bbox: unionBoxes(spans.flatMap((s) => s.row.words.slice(s.from, s.to).map((w) => w.bbox))) };
}

/** Mean word confidence of the spans, 0–1. */
export function confidenceOf(spans: Span[]): number {
  const words = spans.flatMap((s) => s.row.words.slice(s.from, s.to));
  return words.length === 0 ? 0 : words.reduce((sum, w) => sum + w.confidence, 0) / words.length / 100;
}

const centre = (b: BBox) => (b.y0 + b.y1) / 2;
export const height = (b: BBox) => b.y1 - b.y0;
const width = (b: BBox) => b.x1 - b.x0;

/** Lower-case letters and digits only: how labels and values are compared across OCR's spacing and punctuation. */
export function key(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}
