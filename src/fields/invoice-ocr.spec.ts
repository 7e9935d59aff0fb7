import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OcrPool } from '../ocr/ocr-pool.js';
import { prepareForOcr } from '../reader/image-decoder.js';
import type { ExtractPage } from './extraction.js';
import { extractLocally } from './local-extractor.js';
import { locateValue } from './locate.js';
import { parseSchema } from './schemas.js';

const LIMITS = { maxPixels: 40_000_000, maxDimension: 20_000 };

// The README's sample invoice through the worker's OCR path and the local extractor.
describe('local extraction of a real OCRed invoice', () => {
  let pool: OcrPool;
  let pages: ExtractPage[];
  beforeAll(async () => {
    pool = await OcrPool.create({ size: 1 });
    const prepared = await prepareForOcr(readFileSync(new URL('../../test/fixtures/invoice.png', import.meta.url)), LIMITS);
    const page = await pool.recognize(prepared);
    pages = [{ number: 1, width: page.width, height: page.height, lines: page.lines }];
  });
  afterAll(() => pool?.close());

  it('reads the invoice schema off the page, with the total boxed where it is printed', () => {
    const result = extractLocally(parseSchema('invoice'), pages);
    expect(result.missing).toEqual([]);
    expect(result.errors).toEqual([]);
    const { total, subtotal, tax, invoice_number, date, vendor } = result.fields;
    expect(total?.value).toBe('124.19');
    // "124.19" is printed right of TOTAL, near the bottom, at about x 875-1035, y 760-805 of the 1240 x 928 image.
    expect(total?.evidence?.page).toBe(1);
    expect(total!.evidence!.bbox.x0).toBeGreaterThan(850);
    expect(total!.evidence!.bbox.y0).toBeGreaterThan(740);
    expect(total!.evidence!.bbox.y1).toBeLessThan(820);
    expect(subtotal?.value).toBe('103.49');
    expect(tax?.value).toBe('20.70');
    expect(invoice_number?.value).toBe('INV-2026-0415');
    expect(date?.value).toBe('2026-11-20');
    expect(vendor?.value).toBe('ACME Office Supplies Ltd');
  });

  it('locates values an LLM would return on the same page', () => {
    expect(locateValue({ name: 'total', kind: 'money', required: true, labels: ['total'] }, '124.19', pages)?.raw).toBe('124.19');
    expect(locateValue({ name: 'vendor', kind: 'string', required: false, labels: [] }, 'Acme Office Supplies Ltd', pages)?.evidence?.bbox.y1).toBeLessThan(120);
  });
});
