import type { BBox, OcrLine, RecognizedText } from './ocr-types.js';

/**
 * Tesseract's TSV (level 1 page, 2 block, 3 paragraph, 4 line, 5 word; the
 * CLI's with a header row, tesseract.js's without) into lines and words in its
 * reading order. Both engines' results are built here, so their structures are
 * the same by construction. The text is rebuilt as Tesseract's own
 * text output writes it: words joined by a space, a newline after each line
 * and a blank line between paragraphs. Line and page confidences are the mean
 * of their words' (the page's rounded, as Tesseract's MeanTextConf, which
 * tesseract.js reports).
 */
export function parseTsv(tsv: string): RecognizedText {
  const lines: OcrLine[] = [];
  const paragraphs: string[][] = [];
  let line: OcrLine | undefined;
  let paragraph: string[] | undefined;
  const endLine = () => {
    if (line && line.words.length > 0) {
      line.text = line.words.map((w) => w.text).join(' ');
      line.confidence = mean(line.words.map((w) => w.confidence));
      lines.push(line);
      paragraph?.push(line.text);
    }
    line = undefined;
  };
  for (const row of tsv.split('\n')) {
    const cells = row.split('\t');
    const level = Number(cells[0]);
    if (cells.length < 12 || !(level >= 1)) continue; // the CLI's header row, the trailing newline
    const [left, top, width, height] = cells.slice(6, 10).map(Number);
    const box: BBox = { x0: left, y0: top, x1: left + width, y1: top + height };
    if (level === 3) {
      endLine();
      paragraph = [];
      paragraphs.push(paragraph);
    } else if (level === 4) {
      endLine();
      line = { text: '', confidence: 0, bbox: box, words: [] };
    } else if (level === 5 && line) {
      const text = cells.slice(11).join('\t');
      if (text.trim() !== '') line.words.push({ text, confidence: Number(cells[10]), bbox: box });
    }
  }
  endLine();
  const text = paragraphs
    .filter((p) => p.length > 0)
    .map((p) => p.map((l) => `${l}\n`).join(''))
    .join('\n');
  return { text, confidence: pageConfidence(lines), lines };
}

/** A page's confidence: its words' mean, rounded, as Tesseract's MeanTextConf. */
export function pageConfidence(lines: OcrLine[]): number {
  return Math.round(mean(lines.flatMap((l) => l.words.map((w) => w.confidence))));
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
