import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../common/app-error.js';
import { patternTest } from './labels.js';
import { BUILT_IN_SCHEMAS, parseSchema } from './schemas.js';

/** The SCHEMA_INVALID error parseSchema throws for `input`. */
function rejection(input: string): { message: string; errors: { field: string; message: string }[] } {
  try {
    parseSchema(input);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ErrorCode.SCHEMA_INVALID);
    return { message: (error as AppError).message, errors: (error as AppError).details?.errors as { field: string; message: string }[] };
  }
  throw new Error(`parseSchema accepted ${input}`);
}

/** `[[[…1…]]]`, `depth` arrays deep. */
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

const custom = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'object', properties, ...extra });

describe('parseSchema', () => {
  it('returns the built-in schemas by name, with their fields', () => {
    const receipt = parseSchema(' receipt ');
    expect(receipt).toBe(BUILT_IN_SCHEMAS.find((s) => s.name === 'receipt'));
    expect(receipt.fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['company', 'string', true],
      ['date', 'date', true],
      ['address', 'string', false],
      ['total', 'money', true],
    ]);
    const invoice = parseSchema('invoice');
    expect(invoice.fields.filter((f) => f.required).map((f) => f.name)).toEqual(['invoice_number', 'total']);
    expect(invoice.fields.every((f) => f.description && f.labels.length > 0)).toBe(true);
  });

  it('reads a custom schema: kinds inferred or hinted, labels defaulted from names', () => {
    const schema = parseSchema(
      custom(
        {
          policy_number: { type: 'string', 'x-pattern': '^[A-Z]{2}\\d{6}$' },
          issued: { type: 'string', format: 'date' },
          premium: { type: 'number', 'x-kind': 'money', 'x-labels': ['Premium', 'Amount due'] },
          visits: { type: 'integer' },
          plan: { type: 'string', enum: ['basic', 'gold'] },
        },
        { required: ['policy_number'] },
      ),
    );
    expect(schema.name).toBe('custom');
    expect(schema.fields).toEqual([
      { name: 'policy_number', kind: 'string', required: true, labels: ['policy number'], pattern: '^[A-Z]{2}\\d{6}$' },
      { name: 'issued', kind: 'date', required: false, labels: ['issued'] },
      { name: 'premium', kind: 'money', required: false, labels: ['premium', 'amount due'] },
      { name: 'visits', kind: 'number', required: false, labels: ['visits'] },
      { name: 'plan', kind: 'enum', required: false, labels: ['plan'], values: ['basic', 'gold'] },
    ]);
  });

  it.each([
    ['an unknown built-in name, listing the known ones', 'recipt', 'schema', /unknown schema "recipt".*receipt, invoice/],
    ['JSON with a syntax error', '{"type": "object",}', 'schema', /not valid JSON/],
    ['JSON that is not an object', '["total"]', 'schema', /must be a JSON object/],
    ['a schema over 16 KB', custom({ note: { type: 'string', description: 'x'.repeat(17_000) } }), 'schema', /bytes; at most 16384/],
    ['an invalid JSON Schema', custom({ total: { type: 'string' } }, { required: 'total' }), 'schema.required', /not a valid JSON Schema/],
    ['a typo in a top-level keyword', custom({ total: { type: 'string' } }, { requried: ['total'] }), 'schema.requried', /unsupported keyword "requried"/],
    ['a typo in a property keyword', custom({ day: { type: 'string', fromat: 'date' } }), 'schema.properties.day.fromat', /unsupported keyword "fromat"/],
    ['a schema that is not an object type', JSON.stringify({ type: 'array', properties: { a: { type: 'string' } } }), 'schema.type', /"type": "object"/],
    ['no properties', JSON.stringify({ type: 'object', properties: {} }), 'schema.properties', /at least one field/],
    ['a nested object', custom({ buyer: { type: 'object' } }), 'schema.properties.buyer.type', /nested objects and arrays are not supported/],
    ['an array property', custom({ items: { type: 'array' } }), 'schema.properties.items.type', /nested objects and arrays/],
    ['a format other than date', custom({ mail: { type: 'string', format: 'email' } }), 'schema.properties.mail.format', /only format supported is "date"/],
    ['an unknown x-kind', custom({ total: { type: 'string', 'x-kind': 'currency' } }), 'schema.properties.total.x-kind', /must be one of string, date, money, number, enum/],
    ['an x-kind that does not fit the type', custom({ day: { type: 'number', 'x-kind': 'date' } }), 'schema.properties.day.x-kind', /"date" does not fit "type": "number"/],
    ['x-kind enum without values', custom({ plan: { type: 'string', 'x-kind': 'enum' } }), 'schema.properties.plan.x-kind', /needs an "enum"/],
    ['too many labels', custom({ a: { type: 'string', 'x-labels': Array.from({ length: 11 }, (_, i) => `l${i}`) } }), 'schema.properties.a.x-labels', /at most 10/],
    ['a label too long', custom({ a: { type: 'string', 'x-labels': ['x'.repeat(65)] } }), 'schema.properties.a.x-labels', /at most 64 characters/],
    ['an invalid regular expression', custom({ a: { type: 'string', 'x-pattern': '([0-9]' } }), 'schema.properties.a.x-pattern', /not a valid regular expression/],
    ['a backreference, which RE2 cannot match in linear time', custom({ a: { type: 'string', 'x-pattern': '(a)\\1' } }), 'schema.properties.a.x-pattern', /no lookaround or backreferences/],
    ['a lookahead', custom({ a: { type: 'string', 'x-pattern': 'a(?=b)' } }), 'schema.properties.a.x-pattern', /no lookaround or backreferences/],
    ['a $schema Ajv does not implement', custom({ a: { type: 'string' } }, { $schema: 'https://json-schema.org/draft/2019-09/schema' }), 'schema.$schema', /draft-07/],
    ['an unknown $schema', custom({ a: { type: 'string' } }, { $schema: 'http://example.com/x' }), 'schema.$schema', /draft-07/],
    ['a $schema that is not a string', custom({ a: { type: 'string' } }, { $schema: 42 }), 'schema.$schema', /draft-07/],
    ['JSON nested deeper than 32 levels', custom({ a: { type: 'string', enum: [nested(40)] } }), 'schema', /nested more than 32 levels/],
    ['a pattern over 200 characters', custom({ a: { type: 'string', 'x-pattern': 'a'.repeat(201) } }), 'schema.properties.a.x-pattern', /at most 200 are allowed/],
    ['more than 50 properties', custom(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`f${i}`, { type: 'string' }]))), 'schema.properties', /51 properties; at most 50/],
    ['a property name outside [A-Za-z_][A-Za-z0-9_]*', custom({ 'total amount': { type: 'string' } }), 'schema.properties.total amount', /must match/],
    ['a required field that is not a property', custom({ total: { type: 'string' } }, { required: ['totl'] }), 'schema.required', /"totl" is not among the properties/],
  ])('rejects %s', (_case, input, field, message) => {
    const { message: summary, errors } = rejection(input);
    expect(errors).toContainEqual({ field, message: expect.stringMatching(message) });
    expect(summary).toMatch(message);
  });

  it('reports every problem of a schema at once, and says how many more there are', () => {
    const { message, errors } = rejection(custom({ a: { type: 'object' }, b: { type: 'string', 'x-pattern': '(' } }));
    expect(errors.map((e) => e.field)).toEqual(['schema.properties.a.type', 'schema.properties.b.x-pattern']);
    expect(message).toMatch(/\(and 1 more problem\)$/);
  });

  it('accepts the draft-07 $schema, with or without its trailing #', () => {
    for (const $schema of ['http://json-schema.org/draft-07/schema#', 'http://json-schema.org/draft-07/schema']) {
      expect(parseSchema(custom({ total: { type: 'string' } }, { $schema })).fields.map((f) => f.name)).toEqual(['total']);
    }
  });

  it('refuses a schema object nested 5,000 levels deep as SCHEMA_INVALID, not a stack overflow', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 5000; i++) deep = { type: 'object', properties: { a: deep } };
    try {
      parseSchema(deep);
      expect.unreachable('parseSchema accepted a schema 5,000 levels deep');
    } catch (error) {
      expect((error as AppError).code).toBe(ErrorCode.SCHEMA_INVALID);
      expect((error as AppError).details?.errors).toEqual([{ field: 'schema', message: expect.stringMatching(/nested more than 32 levels/) }]);
    }
  });

  it('runs a pattern that backtracks exponentially in V8 in linear time: it finishes, and matches as a regex would', () => {
    // In V8, 27 letters then a mismatch took 20–32 s; this is 5,000.
    const schema = parseSchema(custom({ code: { type: 'string', 'x-pattern': '([a-z]|[a-z0-9])+$' } }));
    const accepts = patternTest(schema.fields[0]);
    expect(accepts(`${'a'.repeat(5000)}!`)).toBe(false);
    expect(accepts(`${'a'.repeat(5000)}`)).toBe(true);
    expect(accepts('ref 12ab')).toBe(true);
  });
});
