import type { ExtractedField, Extraction, ExtractionSchema } from './extraction.js';
import { dotted, validatorFor } from './json-schema.js';

/**
 * An extractor's findings as a job's `fields`: every schema field present
 * (null when not found), the required ones not found listed as `missing`, and
 * the object of values checked against the schema's JSON Schema, its problems
 * reported in `errors` rather than thrown.
 */
export function completeExtraction(
  schema: ExtractionSchema,
  fields: Record<string, ExtractedField | null>,
  extractor: 'local' | 'llm',
  notes: string[] = [],
): Extraction {
  const all: Record<string, ExtractedField | null> = {};
  const values: Record<string, unknown> = {};
  const properties = (schema.jsonSchema.properties ?? {}) as Record<string, { type?: string }>;
  for (const spec of schema.fields) {
    const field = fields[spec.name] ?? null;
    all[spec.name] = field;
    if (field) values[spec.name] = asDeclared(field.value, properties[spec.name]?.type);
  }
  const missing = schema.fields.filter((f) => f.required && !all[f.name]).map((f) => f.name);
  return { schema: schema.name, extractor, fields: all, missing, errors: validationErrors(schema, values), notes };
}

/** A value as the JSON type its property declares: a money string `"12.50"` becomes 12.5 for `"type": "number"`. */
function asDeclared(value: string | number, type: string | undefined): unknown {
  if ((type === 'number' || type === 'integer') && typeof value === 'string') {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (type === 'string' && typeof value === 'number') return String(value);
  return value;
}

function validationErrors(schema: ExtractionSchema, values: Record<string, unknown>): Extraction['errors'] {
  try {
    const validate = validatorFor(schema.jsonSchema);
    if (validate(values)) return [];
    // A required field not found is already in `missing`.
    return (validate.errors ?? [])
      .filter((e) => e.keyword !== 'required')
      .map((e) => ({ path: dotted('fields', e.instancePath), message: e.message ?? e.keyword }));
  } catch (error) {
    // A schema that passed parseSchema compiles; this keeps a stored job's result readable if one ever does not.
    return [{ path: 'schema', message: `schema could not be compiled: ${(error as Error).message}` }];
  }
}
