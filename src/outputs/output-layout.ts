import { type BBox, unionBoxes } from '../ocr/ocr-types.js';
import type { OutputPage } from './output-types.js';
import { stripNonXmlChars } from './xml-text.js';

/** A word as every writer writes it. */
export interface LayoutWord {
  /** One token: no character XML 1.0 forbids, no tab or newline, never blank. */
  text: string;
  /** 0–100, as Tesseract reports it. */
  confidence: number;
  /** Whole pixels, inside the page. */
  bbox: BBox;
}

/** A line that has at least one word. */
export interface LayoutLine {
  /** Holds every one of its words' boxes; inside the page. */
  bbox: BBox;
  words: LayoutWord[];
}

export interface LayoutPage {
  number: number;
  /** Whole pixels. */
  width: number;
  height: number;
  dpi?: number;
  /** Mean word confidence, 0–100. */
  confidence: number;
  lines: LayoutLine[];
  /** The box holding every line; null for a page without words. */
  textBox: BBox | null;
}

/**
 * The pages as hOCR, ALTO and TSV all write them, so the three agree word for
 * word: words whose text is blank once forbidden characters are gone are left
 * out (an empty `ocrx_word` or `CONTENT=""` means nothing to a reader, and
 * Tesseract never writes one), lines left without words too (ALTO's TextLine
 * needs a String), whitespace inside a word becomes one space (TSV cells cannot
 * hold a tab or newline), and boxes are rounded outwards to whole pixels and
 * clamped to the page (a PDF text layer can place glyphs past the page edge).
 * Throws on two pages with the same number: every output's ids come from it.
 */
export function layoutPages(pages: OutputPage[]): LayoutPage[] {
  const numbers = new Set(pages.map((p) => p.number));
  if (numbers.size !== pages.length) throw new Error('output pages must have distinct numbers');
  return pages.map((page) => {
    const width = Math.max(0, Math.round(page.width));
    const height = Math.max(0, Math.round(page.height));
    const inPage = (b: BBox): BBox => {
      const x0 = clamp(Math.floor(b.x0), 0, width);
      const y0 = clamp(Math.floor(b.y0), 0, height);
      return { x0, y0, x1: clamp(Math.ceil(b.x1), x0, width), y1: clamp(Math.ceil(b.y1), y0, height) };
    };
    const lines: LayoutLine[] = [];
    for (const line of page.lines) {
      const words = line.words
        .map((w) => ({ text: stripNonXmlChars(w.text).replace(/\s+/g, ' ').trim(), confidence: clamp(w.confidence, 0, 100), bbox: inPage(w.bbox) }))
        .filter((w) => w.text !== '');
      if (words.length > 0) lines.push({ bbox: inPage(unionBoxes([line.bbox, ...words.map((w) => w.bbox)])), words });
    }
    const all = lines.flatMap((l) => l.words.map((w) => w.confidence));
    const confidence = all.length === 0 ? 0 : all.reduce((a, b) => a + b, 0) / all.length;
    const textBox = lines.length === 0 ? null : unionBoxes(lines.map((l) => l.bbox));
    return { number: page.number, width, height, dpi: page.dpi, confidence, lines, textBox };
  });
}

/** `value` within `[min, max]`; NaN becomes `min`. */
function clamp(value: number, min: number, max: number): number {
  return Number.isNaN(value) ? min : Math.min(max, Math.max(min, value));
}
