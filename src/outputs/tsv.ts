import type { BBox } from '../ocr/ocr-types.js';
import { layoutPages } from './output-layout.js';
import type { OutputPage } from './output-types.js';

const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';

/**
 * The pages as Tesseract's TSV, with the CLI's header row: per page a level-1
 * row over the whole page, then (when it has words) one block (2) and one
 * paragraph (3) around all its lines (the stored result keeps lines, not
 * Tesseract's blocks), a row per line (4) and per word (5). `page_num` is the
 * page number; `line_num` and `word_num` count from 1 within their paragraph and
 * line, as Tesseract counts them. `conf` is -1 on every row but a word's, as
 * Tesseract writes it. Whitespace in a word is a single space, so a cell never
 * holds a tab or newline.
 */
export function renderTsv(pages: OutputPage[]): string {
  const rows = [HEADER];
  for (const page of layoutPages(pages)) {
    const p = page.number;
    rows.push(row([1, p, 0, 0, 0, 0], { x0: 0, y0: 0, x1: page.width, y1: page.height }));
    if (!page.textBox) continue;
    rows.push(row([2, p, 1, 0, 0, 0], page.textBox), row([3, p, 1, 1, 0, 0], page.textBox));
    page.lines.forEach((line, i) => {
      rows.push(row([4, p, 1, 1, i + 1, 0], line.bbox));
      line.words.forEach((word, j) => rows.push(row([5, p, 1, 1, i + 1, j + 1], word.bbox, word.confidence, word.text)));
    });
  }
  return `${rows.join('\n')}\n`;
}

function row(numbers: number[], b: BBox, conf = -1, text = ''): string {
  // Tesseract writes a word's confidence as a float; six places is what it prints.
  const confidence = conf < 0 ? '-1' : String(Math.round(conf * 1e6) / 1e6);
  return [...numbers, b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0, confidence, text].join('\t');
}
