import { describe, expect, it } from 'vitest';
import type { OcrLine, OcrWord } from '../../ocr/ocr-types.js';
import type { PageText } from '../../jobs/job-result.js';
import { completeTextLayer } from './mixed-page.js';

const word = (text: string, x0: number, y0: number, confidence = 100): OcrWord => ({ text, confidence, bbox: { x0, y0, x1: x0 + 20 * text.length, y1: y0 + 40 } });
const line = (...words: OcrWord[]): OcrLine => ({
  text: words.map((w) => w.text).join(' '),
  confidence: 90,
  bbox: { x0: words[0]!.bbox.x0, y0: words[0]!.bbox.y0, x1: words.at(-1)!.bbox.x1, y1: words[0]!.bbox.y1 },
  words,
});
const ocrPage = (lines: OcrLine[]): PageText => ({ width: 2480, height: 3508, dpi: 300, skew: 0, text: 'as Tesseract wrote it', confidence: 80, lines });

describe('completeTextLayer', () => {
  it('keeps every text-layer line and adds the OCR lines where no typed word lies, top to bottom', () => {
    const typed = [line(word('Claim', 200, 100), word('form', 320, 100)), line(word('Footer', 200, 3300))];
    const scanned = [line(word('Scanned', 200, 600, 91), word('body', 380, 600, 87))];
    const page = completeTextLayer(typed, ocrPage(scanned));
    expect(page.lines.map((l) => [l.source, l.text])).toEqual([
      ['text-layer', 'Claim form'],
      ['ocr', 'Scanned body'],
      ['text-layer', 'Footer'],
    ]);
    expect(page.text).toBe('Claim form\nScanned body\nFooter');
    expect(page.confidence).toBeCloseTo((100 * 3 + 91 + 87) / 5, 5);
    expect(page).toMatchObject({ width: 2480, height: 3508, dpi: 300, skew: 0 });
  });

  it('drops the words OCR read again over a text-layer word, keeping the rest of their line', () => {
    // OCR's box of a typed word is tighter than the text layer's, and a little off.
    const typed = [line(word('Total', 200, 100))];
    const reread = { text: 'Total', confidence: 95, bbox: { x0: 204, y0: 108, x1: 296, y1: 136 } };
    const scanned = [line(reread, word('124.19', 700, 104, 88)), line(word('Signed', 200, 900, 70))];
    const page = completeTextLayer(typed, ocrPage(scanned));
    expect(page.lines.map((l) => [l.source, l.text])).toEqual([
      ['text-layer', 'Total'],
      ['ocr', '124.19'],
      ['ocr', 'Signed'],
    ]);
    // The line shrinks to the words it keeps.
    expect(page.lines[1]!.bbox).toEqual(word('124.19', 700, 104).bbox);
  });

  it('keeps an OCR word that only touches a typed one', () => {
    const typed = [line(word('Ref', 200, 100))];
    const beside = { text: 'A-17', confidence: 90, bbox: { x0: 250, y0: 100, x1: 330, y1: 140 } }; // 10 of its 80 pixels under "Ref"
    expect(completeTextLayer(typed, ocrPage([line(beside)])).lines.map((l) => l.text)).toEqual(['Ref', 'A-17']);
  });

  it('is the text layer alone when OCR found nothing more', () => {
    const typed = [line(word('Only', 200, 100), word('typed', 300, 100))];
    const page = completeTextLayer(typed, ocrPage([line(word('Only', 200, 100, 96))]));
    expect(page.lines.map((l) => [l.source, l.text])).toEqual([['text-layer', 'Only typed']]);
    expect(page.confidence).toBe(100);
  });
});
