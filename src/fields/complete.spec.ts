import { describe, expect, it } from 'vitest';
import { completeExtraction } from './complete.js';
import type { ExtractedField } from './extraction.js';
import { parseSchema } from './schemas.js';

const found = (value: string | number, raw = String(value)): ExtractedField => ({
  value,
  raw,
  confidence: 0.9,
  evidence: { page: 1, bbox: { x0: 0, y0: 0, x1: 10, y1: 10 } },
});

describe('completeExtraction', () => {
  it('lists every field, null when not found, and the required ones not found as missing', () => {
    const receipt = parseSchema('receipt');
    const result = completeExtraction(receipt, { total: found('9.00') }, 'llm', ['model said so']);
    expect(result).toEqual({
      schema: 'receipt',
      extractor: 'llm',
      fields: { company: null, date: null, address: null, total: found('9.00') },
      missing: ['company', 'date'],
      errors: [],
      notes: ['model said so'],
    });
  });

  it('validates the values as the JSON types the schema declares and reports what fails, without throwing', () => {
    const schema = parseSchema(
      JSON.stringify({
        type: 'object',
        properties: {
          amount: { type: 'number', 'x-kind': 'money' },
          count: { type: 'integer' },
          plan: { type: 'string', enum: ['basic', 'gold'] },
          day: { type: 'string', format: 'date' },
        },
        required: ['amount'],
      }),
    );
    // An amount is a decimal string; a "type": "number" property gets it as a number.
    const ok = completeExtraction(schema, { amount: found('12.50'), count: found(3), plan: found('gold'), day: found('2024-03-03') }, 'local');
    expect(ok.errors).toEqual([]);
    expect(ok.missing).toEqual([]);
    // What an LLM might return: values that do not fit.
    const bad = completeExtraction(schema, { amount: found('12.50'), count: found(2.5), plan: found('platinum'), day: found('2024-02-30') }, 'llm');
    expect(bad.errors).toEqual([
      { path: 'fields.count', message: 'must be integer' },
      { path: 'fields.plan', message: 'must be equal to one of the allowed values' },
      { path: 'fields.day', message: 'must match format "date"' },
    ]);
  });
});
