import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/** The kinds a field may be read as (`x-kind`). */
export const FIELD_KINDS = ['string', 'date', 'money', 'number', 'enum'] as const;

/**
 * Limits on a custom schema, part of the API (documented with `schema` uploads):
 * it is parsed before a job is stored, and its pattern runs on every OCRed line.
 */
export const SCHEMA_LIMITS = {
  maxJsonBytes: 16 * 1024,
  /** Nesting of objects and arrays; a valid schema needs 4, and deeper JSON would overflow recursive checks. */
  maxDepth: 32,
  maxProperties: 50,
  maxLabels: 10,
  maxLabelLength: 64,
  maxPatternLength: 200,
  maxEnumValues: 100,
} as const;

/** The `$schema` values a custom schema may name: the draft Ajv's default class implements (07). */
export const SUPPORTED_META_SCHEMAS = ['http://json-schema.org/draft-07/schema', 'http://json-schema.org/draft-07/schema#'] as const;

/**
 * The one Ajv that checks schemas against the meta-schema. It only validates
 * them as data, so it keeps none of them. Strict mode makes a misspelt keyword
 * an error instead of a silently ignored one, so the hint keywords are
 * registered with meta-schemas of their own.
 */
const metaAjv = new Ajv({ strict: true, allErrors: true });
ajvFormats.default(metaAjv, ['date']);
metaAjv.addKeyword({ keyword: 'x-kind', metaSchema: { enum: [...FIELD_KINDS] } });
metaAjv.addKeyword({
  keyword: 'x-labels',
  metaSchema: {
    type: 'array',
    maxItems: SCHEMA_LIMITS.maxLabels,
    items: { type: 'string', minLength: 1, maxLength: SCHEMA_LIMITS.maxLabelLength },
  },
});
metaAjv.addKeyword({ keyword: 'x-pattern', metaSchema: { type: 'string', minLength: 1, maxLength: SCHEMA_LIMITS.maxPatternLength } });

/**
 * An Ajv for compiling one schema. Clients send schemas without end, and a
 * shared Ajv keeps every one it compiles (its cache and its code scope grew
 * ≈40 KB a schema and never shrank) and registers each `$id` for all, so a
 * second schema with the same `$id` failed. A fresh one costs ≈2.5 ms and is
 * garbage with its validator. The meta-schema check is `metaAjv`'s, done first.
 */
function compilingAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true, meta: false, validateSchema: false });
  ajvFormats.default(ajv, ['date']);
  for (const keyword of ['x-kind', 'x-labels', 'x-pattern']) ajv.addKeyword(keyword);
  return ajv;
}

const compiled = new WeakMap<object, ValidateFunction>();

/** The schema compiled once (cached per object); throws Ajv's error for an invalid one. */
export function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    // Without `$schema`: this Ajv has no meta-schemas to look it up in (it was checked by metaAjv).
    const { $schema: _checked, ...rest } = schema;
    validate = compilingAjv().compile(rest);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Errors of the schema itself against JSON Schema's meta-schema; empty when it is valid. */
export function metaSchemaErrors(schema: Record<string, unknown>): ErrorObject[] {
  return metaAjv.validateSchema(schema) ? [] : (metaAjv.errors ?? []);
}

/** `/properties/total/type` → `properties.total.type`, under `prefix`. */
export function dotted(prefix: string, pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [prefix, ...parts].filter(Boolean).join('.');
}
