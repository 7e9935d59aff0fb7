// PLACEHOLDER written by the lead so the build compiles while H1 writes the real module: H1 replaces this whole file.
import { AppError, ErrorCode } from '../common/app-error.js';
import type { ExtractionSchema } from './extraction.js';
export const BUILT_IN_SCHEMAS: readonly ExtractionSchema[] = [];
export function parseSchema(input: string): ExtractionSchema {
  throw new AppError(ErrorCode.SCHEMA_INVALID, `not implemented yet: ${input.length}`);
}
