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
  maxProperties: 50,
  maxLabels: 10,
  maxLabelLength: 64,
  maxPatternLength: 200,
  maxEnumValues: 100,
} as const;

/**
 * One Ajv for schemas and values. Strict mode makes a misspelt keyword an error
 * instead of a silently ignored one, so the hint keywords are registered with
 * meta-schemas of their own.
 */
const ajv = new Ajv({ strict: true, allErrors: true });
ajvFormats.default(ajv, ['date']);
ajv.addKeyword({ keyword: 'x-kind', metaSchema: { enum: [...FIELD_KINDS] } });
ajv.addKeyword({
  keyword: 'x-labels',
  metaSchema: {
    type: 'array',
    maxItems: SCHEMA_LIMITS.maxLabels,
    items: { type: 'string', minLength: 1, maxLength: SCHEMA_LIMITS.maxLabelLength },
  },
});
ajv.addKeyword({ keyword: 'x-pattern', metaSchema: { type: 'string', minLength: 1, maxLength: SCHEMA_LIMITS.maxPatternLength } });

const compiled = new WeakMap<object, ValidateFunction>();

/** The schema compiled once (cached per object); throws Ajv's error for an invalid one. */
export function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Errors of the schema itself against JSON Schema's meta-schema; empty when it is valid. */
export function metaSchemaErrors(schema: Record<string, unknown>): ErrorObject[] {
  return ajv.validateSchema(schema) ? [] : (ajv.errors ?? []);
}

/** `/properties/total/type` → `properties.total.type`, under `prefix`. */
export function dotted(prefix: string, pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [prefix, ...parts].filter(Boolean).join('.');
}
