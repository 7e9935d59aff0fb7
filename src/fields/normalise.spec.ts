import { describe, expect, it } from 'vitest';
import type { FieldKind, FieldSpec } from './extraction.js';
import { normaliseValue } from './normalise.js';

const spec = (kind: FieldKind, values?: string[]): FieldSpec => ({ name: 'f', kind, required: false, labels: [], values });

describe('normaliseValue', () => {
  it.each([
    ['25/12/2018', '2018-12-25'], // day first (most of the world)
    ['05/04/2018', '2018-04-05'], // ambiguous: day first
    ['12/25/2018', '2018-12-25'], // US, unambiguous because 25 is no month
    ['2018-12-25', '2018-12-25'], // ISO
    ['2018/1/5', '2018-01-05'],
    ['25.12.18', '2018-12-25'], // German, two-digit year
    ['25-12-18', '2018-12-25'],
    ['01/02/99', '1999-02-01'], // two-digit years from 70 are the 1900s
    ['25 Dec 2018', '2018-12-25'],
    ['25 DECEMBER 2018', '2018-12-25'],
    ['25-DEC-18', '2018-12-25'],
    ['3rd March 2024', '2024-03-03'],
    ['Dec 25, 2018', '2018-12-25'],
    ['December 5 2018', '2018-12-05'],
    ['25 / 12 / 2018', '2018-12-25'], // OCR's spacing
    ['29/02/2024', '2024-02-29'], // leap year
  ])('reads the date %s as %s', (text, iso) => {
    expect(normaliseValue(spec('date'), text)).toEqual({ value: iso });
  });

  it.each(['31/04/2018', '29/02/2023', '13/13/2018', '2018-00-10', 'Smarch 3, 2018', '12.50', '25/12-2018'])('rejects %s as a date', (text) => {
    expect(normaliseValue(spec('date'), text)).toBeUndefined();
  });

  it.each([
    ['RM 12.50', { value: '12.50', currency: 'RM' }],
    ['RM12.5', { value: '12.50', currency: 'RM' }],
    ['$1,234.50', { value: '1234.50', currency: '$' }],
    ['1.234,50 €', { value: '1234.50', currency: '€' }],
    ['1 234,50 EUR', { value: '1234.50', currency: 'EUR' }],
    ['12,50', { value: '12.50' }],
    ['12.5', { value: '12.50' }],
    ['1,234', { value: '1234.00' }],
    ['9', { value: '9.00' }],
    ['-0.02', { value: '-0.02' }],
    ['RM .01', { value: '0.01', currency: 'RM' }],
    ['155. 50', { value: '155.50' }], // OCR's space after the decimal point
    ['0.125', { value: '0.125' }], // three decimals are kept
    ['1.234', { value: '1234.00' }], // three digits after one separator are thousands
  ])('reads the amount %s', (text, expected) => {
    expect(normaliseValue(spec('money'), text)).toEqual(expected);
  });

  it.each(['12.50 apples', 'RM', '$12.50 RM', 'N/A'])('rejects %s as an amount', (text) => {
    expect(normaliseValue(spec('money'), text)).toBeUndefined();
  });

  it('reads numbers as numbers, enums as the schema spells them, text with whitespace collapsed', () => {
    expect(normaliseValue(spec('number'), '1,250')).toEqual({ value: 1250 });
    expect(normaliseValue(spec('number'), '3.5')).toEqual({ value: 3.5 });
    expect(normaliseValue(spec('enum', ['Cash', 'Card']), ' CARD ')).toEqual({ value: 'Card' });
    expect(normaliseValue(spec('enum', ['Cash', 'Card']), 'cheque')).toBeUndefined();
    expect(normaliseValue(spec('string'), '  ACME\n Office   Ltd ')).toEqual({ value: 'ACME Office Ltd' });
    expect(normaliseValue(spec('string'), ' \n ')).toBeUndefined();
  });
});
