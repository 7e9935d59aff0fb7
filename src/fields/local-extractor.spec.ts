import { describe, expect, it } from 'vitest';
import type { OcrLine } from '../ocr/ocr-types.js';
import type { ExtractPage } from './extraction.js';
import { extractLocally } from './local-extractor.js';
import { parseSchema } from './schemas.js';

const CHAR = 12;
const ROW = 30;

/**
 * A page from printed rows: each row is a list of `[text, x]` pieces, each its
 * own OCR line (as Tesseract splits a label from a far-right amount), words
 * CHAR px per character, rows ROW px apart; `dy` nudges a piece down.
 */
function page(rows: [string, number, number?][][], number = 1): ExtractPage {
  const lines: OcrLine[] = [];
  rows.forEach((pieces, r) => {
    for (const [text, x, dy = 0] of pieces) {
      const y0 = 20 + r * ROW + dy;
      let cursor = x;
      const words = text.split(' ').map((word) => {
        const box = { x0: cursor, y0, x1: cursor + word.length * CHAR, y1: y0 + 20 };
        cursor = box.x1 + CHAR;
        return { text: word, confidence: 90, bbox: box };
      });
      lines.push({ text, confidence: 90, bbox: { x0: x, y0, x1: cursor - CHAR, y1: y0 + 20 }, words });
    }
  });
  // Tesseract's order is not always reading order: shuffle it so the rows must be rebuilt from the boxes.
  lines.reverse();
  return { number, width: 800, height: 20 + rows.length * ROW + 20, lines };
}

const receipt = parseSchema('receipt');

describe('extractLocally', () => {
  const shop = page([
    [['TAN WOON YANN', 40]],
    [['KEDAI RUNCIT MAJU SDN BHD', 40]],
    [['(123456-X)', 120]],
    [['NO 5, JALAN BESAR,', 40]],
    [['43000 KAJANG, SELANGOR', 40]],
    [['TEL: 03-8736 1234', 40]],
    [['Receipt #: 88123', 40], ['Date: 25/12/2018', 400]],
    [['Milo 1kg', 40], ['18.90', 600]],
    [['Bread', 40], ['4.10', 600]],
    [['Sub Total', 40], ['23.00', 600]],
    [['Total Qty: 2', 40]],
    [['GST 6%', 40], ['1.38', 600]],
    [['TOTAL', 40], ['RM 24.38', 580, 4]],
    [['CASH', 40], ['50.00', 600]],
    [['CHANGE', 40], ['25.62', 600]],
  ]);

  it('reads a receipt: vendor from the top rows, its address, a labelled date and the total by its label', () => {
    const result = extractLocally(receipt, [shop]);
    expect(result.schema).toBe('receipt');
    expect(result.extractor).toBe('local');
    expect(result.missing).toEqual([]);
    expect(result.errors).toEqual([]);
    const { company, date, address, total } = result.fields;
    expect(company).toMatchObject({ value: 'KEDAI RUNCIT MAJU SDN BHD', evidence: { page: 1, bbox: { x0: 40, y0: 50 } } });
    expect(address?.value).toBe('NO 5, JALAN BESAR, 43000 KAJANG, SELANGOR');
    expect(date).toMatchObject({ value: '2018-12-25', raw: '25/12/2018' });
    // The amount is its own OCR line, a little lower than its label: the row joins them.
    expect(total).toMatchObject({ value: '24.38', currency: 'RM', raw: 'RM 24.38', evidence: { page: 1, bbox: { x0: 580, x1: 676 } } });
    expect(total!.confidence).toBeGreaterThan(0.5);
    expect(total!.confidence).toBeLessThanOrEqual(1);
  });

  it('does not take a subtotal, a tax line or the cash paid for the total', () => {
    const noTotal = page([
      [['SHOP SDN BHD', 40]],
      [['Sub Total', 40], ['23.00', 600]],
      [['Total GST', 40], ['1.38', 600]],
      [['CASH', 40], ['50.00', 600]],
      [['TOTAL', 40], ['24.38', 600]],
    ]);
    expect(extractLocally(receipt, [noTotal]).fields.total?.value).toBe('24.38');
  });

  it('takes the amount after the rounding adjustment when the total was rounded', () => {
    const rounded = page([
      [['SHOP SDN BHD', 40]],
      [['TOTAL', 40], ['60.31', 600]],
      [['ROUNDING ADJ', 40], ['-0.01', 600]],
      [['', 40], ['60.30', 600]],
      [['CASH', 40], ['70.30', 600]],
    ]);
    expect(extractLocally(receipt, [rounded]).fields.total?.value).toBe('60.30');
  });

  it('reads a value printed under its label, and a custom field by its own labels and pattern', () => {
    const schema = parseSchema(
      JSON.stringify({
        type: 'object',
        properties: {
          member_id: { type: 'string', 'x-labels': ['member id'], 'x-pattern': '^M-\\d+$' },
          visit_date: { type: 'string', format: 'date' },
          points: { type: 'integer', 'x-labels': ['points earned'] },
          tier: { type: 'string', enum: ['Silver', 'Gold'], 'x-labels': ['tier'] },
          payment: { type: 'string', enum: ['Cash', 'Card', 'Voucher'] },
        },
        required: ['member_id', 'points'],
      }),
    );
    const card = page([
      [['Member ID', 40], ['Visit Date', 400]],
      [['M-20931', 40], ['03 Mar 2024', 400]],
      [['Member ID: none on file', 40]],
      [['Points earned', 40], ['1,250.00', 600]],
      [['Tier:', 40], ['GOLD', 200]],
      [['Paid by VISA CARD ****1234', 40]],
    ]);
    const { fields, missing } = extractLocally(schema, [card]);
    expect(missing).toEqual([]);
    // "none on file" after the second label does not match the pattern; the value below the first does.
    expect(fields.member_id).toMatchObject({ value: 'M-20931', evidence: { page: 1, bbox: { x0: 40, y0: 50 } } });
    expect(fields.visit_date).toMatchObject({ value: '2024-03-03', raw: '03 Mar 2024' });
    expect(fields.points?.value).toBe(1250);
    expect(fields.tier?.value).toBe('Gold');
    // No "payment" label is printed: an enum's value is also looked for on its own.
    expect(fields.payment).toMatchObject({ value: 'Card', raw: 'CARD' });
  });

  it('tells an invoice date from its due date by their labels', () => {
    const invoice = page([
      [['Northwind Traders Ltd', 40]],
      [['Invoice No: INV-0042', 40]],
      [['Date 17/01/2024', 40], ['Due 16/02/2024', 400]],
      [['TOTAL', 40], ['$211.62', 600]],
    ]);
    const { fields } = extractLocally(parseSchema('invoice'), [invoice]);
    expect(fields.vendor?.value).toBe('Northwind Traders Ltd');
    expect(fields.invoice_number?.value).toBe('INV-0042');
    expect(fields.date?.value).toBe('2024-01-17');
    expect(fields.due_date?.value).toBe('2024-02-16');
    expect(fields.total).toMatchObject({ value: '211.62', currency: '$' });
  });

  it('lists required fields it cannot find as missing, and finds values on later pages', () => {
    const first = page([[['Nothing to see', 40]]]);
    const second = page([[['ACME TRADING', 40]], [['TOTAL', 40], ['9.00', 600]]], 2);
    const result = extractLocally(receipt, [first, second]);
    expect(result.fields.total).toMatchObject({ value: '9.00', evidence: { page: 2 } });
    expect(result.fields.date).toBeNull();
    expect(result.missing).toContain('date');
  });
});
