import type { FieldSpec } from './extraction.js';

/** A value as a field's kind reads it; see {@link FieldKind} in extraction.ts. */
interface Normalised {
  value: string | number;
  currency?: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
// OCR puts spaces around slashes ("25 / 12 / 2018"); spaced dashes are more often ranges or codes.
const SEP = '(\\s?/\\s?|[.-])';

/**
 * Date shapes, most specific first. Each is tried on a whole value; {@link DATE_SEARCH}
 * finds them inside a line. Digits are not allowed to touch the match, so a
 * phone number or an amount is not read as a date.
 */
const DATE_SHAPES = [
  `(\\d{4})${SEP}(\\d{1,2})\\2(\\d{1,2})`, // 2018-12-25, 2018/12/25
  `(\\d{1,2})${SEP}(\\d{1,2})\\2(\\d{4}|\\d{2})`, // 25/12/2018, 12/25/2018, 25.12.18
  `(\\d{1,2})(?:st|nd|rd|th)?[\\s./-]?${MONTH}\\.?[\\s.,/-]{0,2}(\\d{4}|\\d{2})`, // 25 Dec 2018, 25-DEC-18, 02/JAN/2017
  `${MONTH}\\.?\\s?(\\d{1,2})(?:st|nd|rd|th)?,?\\s?(\\d{4})`, // Dec 25, 2018
];

/** Finds date-looking text inside a line; group-free wrapper over {@link DATE_SHAPES}. */
export const DATE_SEARCH = new RegExp(`(?<![\\d/.-])(?:${DATE_SHAPES.map((s) => s.replace(/\\2/g, '(?:\\s?/\\s?|[.-])').replace(/\((?!\?)/g, '(?:')).join('|')})(?![\\d/-]|\\.\\d)`, 'gi');

const CURRENCY = '(RM|MYR|USD|EUR|GBP|SGD|AUD|CAD|CHF|JPY|INR|IDR|S\\$|US\\$|A\\$|\\$|€|£|¥|₹)';
const AMOUNT = '(-?\\d{1,3}(?:[,.\\s\']\\d{3})+(?:[.,]\\d{1,3})?|-?\\d+(?:[.,]\\d{1,3})?|-?[.,]\\d{2})';
const MONEY = new RegExp(`^${CURRENCY}?\\s?${AMOUNT}\\s?${CURRENCY}?$`, 'i');

/**
 * Finds amounts with decimals inside a line ("RM 12.50", "1,234.50", "12,50 €").
 * Whole numbers are left out: on a receipt they are quantities, codes and phone
 * numbers; so are rates (`6.00%`).
 */
export const MONEY_SEARCH = new RegExp(`(?<![\\d.,])${CURRENCY}?\\s?-?(?:\\d{1,3}(?:[,.]\\d{3})+|\\d*)[.,]\\s?\\d{2}(?![\\d%])\\s?${CURRENCY}?`, 'gi');

/**
 * A field's text read as its kind, or undefined when it is not one: dates become
 * `YYYY-MM-DD`, amounts a decimal string with two places or more (`"1234.50"`),
 * numbers a number, enums the schema's spelling of the value, strings the text
 * with whitespace collapsed.
 */
export function normaliseValue(spec: FieldSpec, text: string): Normalised | undefined {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  if (!trimmed) return undefined;
  switch (spec.kind) {
    case 'date': {
      const value = parseDate(trimmed);
      return value === undefined ? undefined : { value };
    }
    case 'money':
      return parseMoney(trimmed);
    case 'number': {
      const money = parseMoney(trimmed);
      return money && { value: Number(money.value) };
    }
    case 'enum': {
      const wanted = trimmed.toLowerCase();
      const value = spec.values?.find((v) => v.toLowerCase() === wanted);
      return value === undefined ? undefined : { value };
    }
    case 'string':
      return { value: trimmed };
  }
}

/** `YYYY-MM-DD` for a date in one of {@link DATE_SHAPES}; undefined for anything else or an impossible day. */
export function parseDate(text: string): string | undefined {
  const t = text.trim().replace(/[,:;]$/, '');
  for (const [i, shape] of DATE_SHAPES.entries()) {
    const m = new RegExp(`^${shape}$`, 'i').exec(t);
    if (!m) continue;
    switch (i) {
      case 0:
        return isoDate(+m[1], +m[3], +m[4]);
      case 1: {
        const [a, b, year] = [+m[1], +m[3], m[4]];
        // Day first, as most of the world writes it, unless that is impossible
        // and month first is not (12/25/2018).
        return a <= 12 && b > 12 ? isoDate(fullYear(year), a, b) : isoDate(fullYear(year), b, a);
      }
      case 2:
        return isoDate(fullYear(m[3]), monthNumber(m[2]), +m[1]);
      case 3:
        return isoDate(+m[3], monthNumber(m[1]), +m[2]);
    }
  }
  return undefined;
}

/** Two-digit years: 00–69 are 2000s, 70–99 the 1900s (POSIX `strptime`'s pivot). */
function fullYear(year: string): number {
  const y = +year;
  return year.length === 4 ? y : y < 70 ? 2000 + y : 1900 + y;
}

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

function isoDate(year: number, month: number, day: number): string | undefined {
  if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * An amount with its currency as printed. The decimal separator is the last `.`
 * or `,` when both occur; a lone one is decimal unless exactly three digits
 * follow it after a non-zero integer part (`1,234` is a thousand, `0.125` is not).
 */
export function parseMoney(text: string): Normalised | undefined {
  // OCR often reads "155.50" as "155. 50".
  const m = MONEY.exec(text.trim().replace(/(\d[.,])\s(\d{2})(?!\d)/, '$1$2'));
  if (!m || (m[1] && m[3])) return undefined;
  const currency = m[1] ?? m[3];
  const amount = m[2].replace(/[\s']/g, '');
  const lastSep = Math.max(amount.lastIndexOf('.'), amount.lastIndexOf(','));
  let integer = amount;
  let fraction = '';
  if (lastSep >= 0) {
    const decimals = amount.length - lastSep - 1;
    const both = amount.includes('.') && amount.includes(',');
    if (both || decimals !== 3 || /^-?0?$/.test(amount.slice(0, lastSep))) {
      integer = amount.slice(0, lastSep);
      fraction = amount.slice(lastSep + 1);
    }
  }
  const negative = integer.startsWith('-');
  const digits = integer.replace(/^-/, '').replace(/[.,]/g, '') || '0';
  if (!/^\d+$/.test(digits)) return undefined;
  const value = `${negative ? '-' : ''}${digits.replace(/^0+(?=\d)/, '')}.${fraction.padEnd(2, '0')}`;
  return currency ? { value, currency } : { value };
}
