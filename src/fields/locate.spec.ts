import { describe, expect, it } from 'vitest';
import type { ExtractPage, FieldKind, FieldSpec } from './extraction.js';
import { locateValue } from './locate.js';

/** A page of rows of words, each word 10 px per character, rows 30 px apart. */
function page(rows: string[], number = 1, confidence = 90): ExtractPage {
  return {
    number,
    width: 600,
    height: rows.length * 30,
    lines: rows.map((text, r) => {
      let x = 10;
      const words = text.split(' ').map((word) => {
        const bbox = { x0: x, y0: r * 30, x1: x + word.length * 10, y1: r * 30 + 20 };
        x = bbox.x1 + 10;
        return { text: word, confidence, bbox };
      });
      return { text, confidence, bbox: { x0: 10, y0: r * 30, x1: x - 10, y1: r * 30 + 20 }, words };
    }),
  };
}

const spec = (kind: FieldKind, labels: string[] = []): FieldSpec => ({ name: 'f', kind, required: false, labels });

const pages = [
  page(['Acme Office Supplies Ltd', '12 Harbour Street,', 'Leeds LS1 4AB']),
  page(['Date: 20/11/2026', 'Subtotal 103.49', 'CASH $124.19', 'TOTAL $124.19'], 2),
];

describe('locateValue', () => {
  it('finds an amount however it is printed, preferring the row with the field label', () => {
    const total = locateValue(spec('money', ['total']), '124.19', pages);
    expect(total).toMatchObject({ value: '124.19', currency: '$', raw: '$124.19', evidence: { page: 2, bbox: { x0: 70, y0: 90, x1: 140, y1: 110 } } });
    expect(total!.confidence).toBeCloseTo(0.9);
  });

  it('finds a date given in another format', () => {
    expect(locateValue(spec('date'), '2026-11-20', pages)).toMatchObject({ value: '2026-11-20', raw: '20/11/2026', evidence: { page: 2 } });
  });

  it('finds text over several words and rows, whatever its case and punctuation', () => {
    expect(locateValue(spec('string'), 'ACME OFFICE SUPPLIES LTD.', pages)).toMatchObject({
      value: 'ACME OFFICE SUPPLIES LTD.',
      raw: 'Acme Office Supplies Ltd',
      evidence: { page: 1, bbox: { x0: 10, y0: 0 } },
    });
    const address = locateValue(spec('string'), '12 Harbour Street, Leeds LS1 4AB', pages);
    expect(address).toMatchObject({ raw: '12 Harbour Street, Leeds LS1 4AB', evidence: { page: 1, bbox: { x0: 10, y0: 30, y1: 80 } } });
  });

  it('tolerates a character OCR misread, with less confidence', () => {
    const misread = [page(['ACME 0FFICE SUPPLIES LTD'])];
    const found = locateValue(spec('string'), 'Acme Office Supplies Ltd', misread);
    expect(found?.raw).toBe('ACME 0FFICE SUPPLIES LTD');
    expect(found!.confidence).toBeLessThan(0.9);
  });

  it('returns undefined for a value printed nowhere', () => {
    expect(locateValue(spec('money'), '99.99', pages)).toBeUndefined();
    expect(locateValue(spec('string'), 'Globex Corporation', pages)).toBeUndefined();
    expect(locateValue(spec('date'), 'not a date', pages)).toBeUndefined();
  });
});
