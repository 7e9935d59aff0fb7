import { unionBoxes, type BBox, type OcrLine } from '../../ocr/ocr-types.js';
import type { PageLine, PageText } from '../../jobs/job-result.js';

/** Share of an OCR word's box a text-layer word must cover for the two to be the same word, read twice. */
const SAME_WORD = 0.5;

/**
 * A mixed page's text: every line of its text layer (exact), and the words
 * OCR read on the page's image where no text-layer word lies. The typed text
 * is drawn on the image too, so OCR reads it a second time; those readings
 * are the ones dropped. Both are in the page's pixels at its dpi.
 *
 * Lines come top to bottom, each source's own order kept (a merge on the
 * lines' tops), so a typed header comes before the scan below it.
 */
export function completeTextLayer(textLayer: OcrLine[], ocr: PageText): PageText {
  const typed = textLayer.flatMap((line) => line.words.map((word) => word.bbox));
  const read = ocr.lines.flatMap((line): PageLine[] => {
    const words = line.words.filter((word) => !typed.some((box) => overlap(word.bbox, box) >= SAME_WORD * area(word.bbox)));
    if (words.length === 0) return [];
    if (words.length === line.words.length) return [{ ...line, source: 'ocr' }];
    const text = words.map((word) => word.text).join(' ');
    return [{ text, confidence: line.confidence, bbox: unionBoxes(words.map((word) => word.bbox)), words, source: 'ocr' }];
  });
  const lines = byTop(textLayer.map((line): PageLine => ({ ...line, source: 'text-layer' })), read);
  const words = lines.flatMap((line) => line.words);
  return {
    ...ocr,
    text: lines.map((line) => line.text).join('\n'),
    confidence: words.length === 0 ? 0 : words.reduce((sum, word) => sum + word.confidence, 0) / words.length,
    lines,
  };
}

/** Two lists of lines, each top to bottom in its own way, as one: the higher of the two next lines first. */
function byTop(a: PageLine[], b: PageLine[]): PageLine[] {
  const merged: PageLine[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.bbox.y0 <= b[j]!.bbox.y0)) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return merged;
}

function area({ x0, y0, x1, y1 }: BBox): number {
  return Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
}

function overlap(a: BBox, b: BBox): number {
  return area({ x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) });
}
