import { AppError, ErrorCode } from '../common/app-error.js';
import type { ExtractionSchema, FieldKind, FieldSpec } from './extraction.js';
import { dotted, FIELD_KINDS, metaSchemaErrors, SCHEMA_LIMITS, SUPPORTED_META_SCHEMAS, validatorFor } from './json-schema.js';
import { compileFieldPattern } from './field-pattern.js';

type Json = Record<string, unknown>;
type SchemaError = { field: string; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const TOP_KEYWORDS = new Set(['$schema', '$id', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties']);
const PROPERTY_KEYWORDS = new Set([
  'type', 'format', 'enum', 'description', 'title', 'x-kind', 'x-labels', 'x-pattern',
  // Checked against the extracted values and reported in `errors`. Not `pattern`: `x-pattern` is the one regex, run by RE2 in linear time.
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
]);
const TOTAL_LABELS = ['total', 'grand total', 'total amount', 'amount due', 'total payable', 'nett total', 'total rounded', 'rounded total', 'after rounding', 'due'];

const RECEIPT: Json = {
  type: 'object',
  description: 'A shop or restaurant receipt: who sold, when, where, and the amount paid.',
  properties: {
    company: { type: 'string', description: 'The seller, as printed at the top.', 'x-labels': ['company', 'merchant', 'store'] },
    date: { type: 'string', format: 'date', description: 'Date of purchase.', 'x-labels': ['date', 'dated', 'date/time', 'tarikh'] },
    address: { type: 'string', description: "The seller's address, as printed under its name.", 'x-labels': ['address'] },
    total: { type: 'string', 'x-kind': 'money', description: 'The amount paid, taxes included.', 'x-labels': TOTAL_LABELS },
  },
  required: ['company', 'date', 'total'],
};

const INVOICE: Json = {
  type: 'object',
  description: "A supplier's invoice: its number, dates and amounts.",
  properties: {
    vendor: { type: 'string', description: 'Who issued the invoice.', 'x-labels': ['from', 'vendor', 'seller', 'supplier'] },
    invoice_number: {
      type: 'string',
      description: 'The invoice number.',
      'x-labels': ['invoice no', 'invoice number', 'invoice #', 'invoice', 'inv no', 'bill no', 'number'],
      'x-pattern': '[0-9]',
    },
    date: { type: 'string', format: 'date', description: 'Date of issue.', 'x-labels': ['invoice date', 'date', 'issue date', 'dated'] },
    due_date: { type: 'string', format: 'date', description: 'Date payment is due.', 'x-labels': ['due date', 'due', 'payment due', 'pay by'] },
    subtotal: { type: 'string', 'x-kind': 'money', description: 'Total before tax.', 'x-labels': ['subtotal', 'sub total', 'sub-total', 'net amount'] },
    tax: { type: 'string', 'x-kind': 'money', description: 'Tax (VAT, GST, sales tax).', 'x-labels': ['tax', 'vat', 'gst', 'sales tax'] },
    total: { type: 'string', 'x-kind': 'money', description: 'The amount to pay, taxes included.', 'x-labels': TOTAL_LABELS },
  },
  required: ['invoice_number', 'total'],
};

/** The schemas a job can name instead of sending its own (`schema=receipt`). */
export const BUILT_IN_SCHEMAS: readonly ExtractionSchema[] = [toSchema('receipt', RECEIPT), toSchema('invoice', INVOICE)];

/**
 * A job's `schema`: a built-in schema's name, or a custom one as JSON text (a
 * form field) or as the object a JSON body held (see the limits in
 * {@link SCHEMA_LIMITS}). Throws SCHEMA_INVALID saying what is wrong, with one
 * `{field, message}` per problem in `details.errors`.
 */
export function parseSchema(input: string | Record<string, unknown>): ExtractionSchema {
  if (typeof input !== 'string') {
    // Measured before stringifying: JSON.stringify recurses, and overflows the stack on deep enough input.
    checkDepth(input);
    checkSize(JSON.stringify(input));
    return toSchema('custom', input);
  }
  const text = input.trim();
  if (!text.startsWith('{') && !text.startsWith('[') && !text.startsWith('"')) {
    const builtIn = BUILT_IN_SCHEMAS.find((s) => s.name === text);
    if (builtIn) return builtIn;
    const known = BUILT_IN_SCHEMAS.map((s) => s.name).join(', ');
    fail([{ field: 'schema', message: `unknown schema "${text.slice(0, 64)}": name a built-in one (${known}) or send a JSON Schema object` }]);
  }
  checkSize(text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail([{ field: 'schema', message: `schema is not valid JSON: ${(error as Error).message}` }]);
  }
  if (!isObject(json)) fail([{ field: 'schema', message: 'schema must be a JSON object (a JSON Schema with "type": "object")' }]);
  checkDepth(json);
  return toSchema('custom', json);
}

function checkSize(text: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > SCHEMA_LIMITS.maxJsonBytes) {
    fail([{ field: 'schema', message: `schema is ${bytes} bytes; at most ${SCHEMA_LIMITS.maxJsonBytes} are allowed` }]);
  }
}

/** Refuses JSON nested deeper than the limit, walking it without recursion: every later check recurses. */
function checkDepth(json: Json): void {
  const stack: { value: unknown; depth: number }[] = [{ value: json, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > SCHEMA_LIMITS.maxDepth) {
      fail([{ field: 'schema', message: `schema is nested more than ${SCHEMA_LIMITS.maxDepth} levels deep (objects and arrays); at most ${SCHEMA_LIMITS.maxDepth} are allowed` }]);
    }
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
}

/** Checks a JSON Schema with hints and reads its fields; throws SCHEMA_INVALID. */
function toSchema(name: string, json: Json): ExtractionSchema {
  const meta = json.$schema;
  if (meta !== undefined && !SUPPORTED_META_SCHEMAS.includes(meta as (typeof SUPPORTED_META_SCHEMAS)[number])) {
    // Ajv throws on any other value (it knows no other meta-schema), so it is refused here, by name.
    fail([{ field: 'schema.$schema', message: `"$schema" must be "${SUPPORTED_META_SCHEMAS[1]}" (JSON Schema draft-07) or left out` }]);
  }
  const metaErrors = metaSchemaErrors(json);
  if (metaErrors.length > 0) {
    fail(metaErrors.map((e) => ({ field: dotted('schema', e.instancePath), message: `not a valid JSON Schema: ${e.instancePath || 'schema'} ${e.message}` })));
  }
  const errors = shapeErrors(json);
  if (errors.length > 0) fail(errors);
  try {
    validatorFor(json);
  } catch (error) {
    // What strict mode catches beyond the checks above, e.g. a misspelt keyword at the top.
    fail([{ field: 'schema', message: `not a valid JSON Schema: ${(error as Error).message}` }]);
  }
  const properties = json.properties as Record<string, Json>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return {
    name,
    fields: Object.entries(properties).map(([field, p]) => fieldSpec(field, p, required.has(field))),
    jsonSchema: json,
  };
}

function fieldSpec(name: string, p: Json, required: boolean): FieldSpec {
  const labels = (p['x-labels'] as string[] | undefined)?.map((l) => l.toLowerCase().trim()) ?? [name.replace(/_/g, ' ').toLowerCase()];
  return {
    name,
    kind: kindOf(p),
    required,
    labels,
    ...(typeof p['x-pattern'] === 'string' && { pattern: p['x-pattern'] }),
    ...(Array.isArray(p.enum) && { values: p.enum.map(String) }),
    ...(typeof p.description === 'string' && { description: p.description }),
  };
}

/** `x-kind`, or what the property's type says when it is absent. */
function kindOf(p: Json): FieldKind {
  if (typeof p['x-kind'] === 'string') return p['x-kind'] as FieldKind;
  if (Array.isArray(p.enum)) return 'enum';
  if (p.format === 'date') return 'date';
  if (p.type === 'number' || p.type === 'integer') return 'number';
  return 'string';
}

/** What extraction needs beyond a valid JSON Schema: a flat object of simple fields with sound hints. */
function shapeErrors(json: Json): SchemaError[] {
  const errors: SchemaError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  for (const key of Object.keys(json)) {
    if (!TOP_KEYWORDS.has(key)) add(`schema.${key}`, `unsupported keyword "${key}" at the top (allowed: ${[...TOP_KEYWORDS].join(', ')})`);
  }
  if (json.type !== 'object') add('schema.type', 'schema must have "type": "object"');
  const properties = json.properties;
  if (!isObject(properties) || Object.keys(properties).length === 0) {
    add('schema.properties', 'schema must have "properties" naming at least one field');
    return errors;
  }
  const names = Object.keys(properties);
  if (names.length > SCHEMA_LIMITS.maxProperties) add('schema.properties', `${names.length} properties; at most ${SCHEMA_LIMITS.maxProperties} are allowed`);
  for (const name of (json.required as unknown[] | undefined) ?? []) {
    if (typeof name === 'string' && !(name in properties)) add('schema.required', `required field "${name}" is not among the properties`);
  }
  for (const [name, p] of Object.entries(properties)) {
    const at = `schema.properties.${name}`;
    if (!NAME.test(name)) add(at, `property name "${name.slice(0, 80)}" must match ${NAME.source}`);
    if (!isObject(p)) {
      add(at, 'a property must be an object such as {"type": "string"}');
      continue;
    }
    errors.push(...propertyErrors(at, p));
  }
  return errors;
}

function propertyErrors(at: string, p: Json): SchemaError[] {
  const errors: SchemaError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  for (const key of Object.keys(p)) {
    if (!PROPERTY_KEYWORDS.has(key)) add(`${at}.${key}`, `unsupported keyword "${key}" (allowed: ${[...PROPERTY_KEYWORDS].join(', ')}); nested objects and arrays are not supported`);
  }
  if (!['string', 'number', 'integer'].includes(p.type as string)) {
    add(`${at}.type`, '"type" must be "string", "number" or "integer": nested objects and arrays are not supported');
    return errors;
  }
  if (p.format !== undefined && (p.format !== 'date' || p.type !== 'string')) add(`${at}.format`, 'the only format supported is "date", on a string');
  if (Array.isArray(p.enum) && p.enum.length > SCHEMA_LIMITS.maxEnumValues) add(`${at}.enum`, `at most ${SCHEMA_LIMITS.maxEnumValues} values are allowed`);
  const kind = p['x-kind'];
  if (kind !== undefined) {
    const types: Record<(typeof FIELD_KINDS)[number], string[]> = {
      string: ['string'],
      date: ['string'],
      money: ['string', 'number'],
      number: ['number', 'integer', 'string'],
      enum: ['string', 'number', 'integer'],
    };
    if (!FIELD_KINDS.includes(kind as FieldKind)) add(`${at}.x-kind`, `"x-kind" must be one of ${FIELD_KINDS.join(', ')}`);
    else if (!types[kind as FieldKind].includes(p.type as string)) add(`${at}.x-kind`, `"x-kind": "${kind}" does not fit "type": "${p.type}"`);
    else if (kind === 'enum' && !Array.isArray(p.enum)) add(`${at}.x-kind`, '"x-kind": "enum" needs an "enum" list of values');
  }
  const labels = p['x-labels'];
  if (labels !== undefined) {
    const ok = Array.isArray(labels) && labels.length <= SCHEMA_LIMITS.maxLabels;
    if (!ok || !labels.every((l) => typeof l === 'string' && l.trim() !== '' && l.length <= SCHEMA_LIMITS.maxLabelLength)) {
      add(`${at}.x-labels`, `"x-labels" must be at most ${SCHEMA_LIMITS.maxLabels} non-empty strings of at most ${SCHEMA_LIMITS.maxLabelLength} characters`);
    }
  }
  const pattern = p['x-pattern'];
  if (pattern !== undefined) {
    const problem = patternProblem(pattern);
    if (problem) add(`${at}.x-pattern`, problem);
  }
  return errors;
}

/** Why a pattern cannot be used, or undefined. */
function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern === '') return '"x-pattern" must be a non-empty string';
  if (pattern.length > SCHEMA_LIMITS.maxPatternLength) return `"x-pattern" is ${pattern.length} characters; at most ${SCHEMA_LIMITS.maxPatternLength} are allowed`;
  try {
    compileFieldPattern(pattern);
  } catch (error) {
    return `"x-pattern" is not a valid regular expression for RE2 (no lookaround or backreferences): ${(error as Error).message}`;
  }
  return undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(errors: SchemaError[]): never {
  const first = errors[0].message;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
  throw new AppError(ErrorCode.SCHEMA_INVALID, `${first}${more}`, { errors });
}
