// PLACEHOLDER written by the lead so the build compiles while H1 writes the real module: H1 replaces this whole file.
import type { ExtractedField, Extraction, ExtractionSchema } from './extraction.js';
export function completeExtraction(schema: ExtractionSchema, fields: Record<string, ExtractedField | null>, extractor: 'local' | 'llm', notes: string[] = []): Extraction {
  return { schema: schema.name, extractor, fields, missing: [], errors: [], notes };
}
