import { beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD_WORDS, awkwardPages, recognisedPage } from '../../test/support/output-pages.js';
import { parseTsv } from '../ocr/tsv.js';
import type { OutputPage } from './output-types.js';
import { renderTsv } from './tsv.js';

const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';

describe('renderTsv', () => {
  let scanned: OutputPage;
  beforeAll(async () => {
    scanned = await recognisedPage(1, ['Invoice 12345 Total 42.00', 'Thanks from Acme & Co']);
  });

  it("writes Tesseract's header and rows: numeric columns, conf -1 off words, one level-5 row per word, text without tabs", () => {
    const tsv = renderTsv([scanned, ...awkwardPages()]);
    const [header, ...rows] = tsv.split('\n');
    expect(header).toBe(HEADER);
    expect(rows.pop()).toBe(''); // ends with a newline
    const cells = rows.map((r) => r.split('\t'));
    for (const row of cells) {
      expect(row).toHaveLength(12);
      expect(row.slice(0, 11).every((c) => c !== '' && Number.isFinite(Number(c)))).toBe(true);
      expect(row[0] === '5' ? Number(row[10]) >= 0 && Number(row[10]) <= 100 : row[10] === '-1' && row[11] === '').toBe(true);
    }
    const words = (page: string) => cells.filter((r) => r[0] === '5' && r[1] === page).map((r) => r[11]);
    expect(words('1')).toEqual(scanned.lines.flatMap((l) => l.words.map((w) => w.text)));
    expect(words('1')).toEqual(expect.arrayContaining(['Invoice', '12345', 'Thanks']));
    expect(words('2')).toEqual(AWKWARD_WORDS);
    // Pages without words have their page row and nothing else.
    expect(cells.filter((r) => r[1] === '3' || r[1] === '4').map((r) => r.slice(0, 10).join(' '))).toEqual(['1 3 0 0 0 0 0 0 612 792', '1 4 0 0 0 0 0 0 612 792']);
  });

  it('reads back through our own Tesseract TSV reader as the same words, boxes and confidences', () => {
    const read = parseTsv(renderTsv([scanned]));
    const words = (lines: OutputPage['lines']) => lines.flatMap((l) => l.words.map((w) => ({ ...w, confidence: Math.round(w.confidence * 1000) })));
    expect(words(read.lines)).toEqual(words(scanned.lines));
    expect(read.text).toBe(scanned.text);
  });
});
