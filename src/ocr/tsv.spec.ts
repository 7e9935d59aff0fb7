import { describe, expect, it } from 'vitest';
import { parseTsv } from './tsv.js';

describe('parseTsv', () => {
  it('turns Tesseract TSV, with or without the CLI header row, into lines, words, boxes and text with paragraphs apart', () => {
    const tsv = [
      'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
      '1\t1\t0\t0\t0\t0\t0\t0\t500\t300\t-1\t',
      '2\t1\t1\t0\t0\t0\t10\t10\t400\t200\t-1\t',
      '3\t1\t1\t1\t0\t0\t10\t10\t400\t100\t-1\t',
      '4\t1\t1\t1\t1\t0\t10\t10\t300\t40\t-1\t',
      '5\t1\t1\t1\t1\t1\t10\t10\t100\t40\t90\tTotal',
      '5\t1\t1\t1\t1\t2\t150\t12\t160\t38\t80\t42.00',
      '4\t1\t1\t1\t2\t0\t10\t60\t50\t40\t-1\t',
      '5\t1\t1\t1\t2\t1\t10\t60\t50\t40\t-1\t ',
      '3\t1\t1\t2\t0\t0\t10\t150\t200\t40\t-1\t',
      '4\t1\t1\t2\t1\t0\t10\t150\t200\t40\t-1\t',
      '5\t1\t1\t2\t1\t1\t10\t150\t200\t40\t71\tThanks',
      '',
    ].join('\n');
    const withoutHeader = tsv.slice(tsv.indexOf('\n') + 1);
    expect(parseTsv(withoutHeader)).toEqual(parseTsv(tsv));
    expect(parseTsv(tsv)).toEqual({
      text: 'Total 42.00\n\nThanks\n',
      confidence: 80,
      lines: [
        {
          text: 'Total 42.00',
          confidence: 85,
          bbox: { x0: 10, y0: 10, x1: 310, y1: 50 },
          words: [
            { text: 'Total', confidence: 90, bbox: { x0: 10, y0: 10, x1: 110, y1: 50 } },
            { text: '42.00', confidence: 80, bbox: { x0: 150, y0: 12, x1: 310, y1: 50 } },
          ],
        },
        { text: 'Thanks', confidence: 71, bbox: { x0: 10, y0: 150, x1: 210, y1: 190 }, words: [{ text: 'Thanks', confidence: 71, bbox: { x0: 10, y0: 150, x1: 210, y1: 190 } }] },
      ],
    });
  });
});
