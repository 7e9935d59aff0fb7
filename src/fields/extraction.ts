import type { BBox, OcrLine } from '../ocr/ocr-types.js';

/**
 * How a field's text is read and normalised:
 * `date` → ISO 8601 `YYYY-MM-DD`; `money` → a decimal string such as `"1234.50"`
 * with the currency as printed; `number` → a JSON number; `enum` → one of the
 * schema's values; `string` → the text, whitespace collapsed.
 */
export type FieldKind = 'string' | 'date' | 'money' | 'number' | 'enum';

/** One field a schema asks for, with the hints the local extractor reads. */
export interface FieldSpec {
  name: string;
  kind: FieldKind;
  required: boolean;
  /** Labels printed next to the value, lower case, e.g. `["invoice no", "invoice #"]`. */
  labels: string[];
  /** A regular expression the value's text must match, run by RE2 (linear time, see `field-pattern.ts`). */
  pattern?: string;
  /** `enum` only: the allowed values. */
  values?: string[];
  description?: string;
}

/** A schema ready to extract with: built in (`receipt`, `invoice`) or parsed from a job's upload. */
export interface ExtractionSchema {
  /** The built-in schema's name, or `custom`. */
  name: string;
  fields: FieldSpec[];
  /** The JSON Schema the extracted object is validated against. */
  jsonSchema: Record<string, unknown>;
}

/** A page as the extractors see it: the stored OCR (or text-layer) lines, words and boxes. */
export interface ExtractPage {
  /** 1-based page number in the document. */
  number: number;
  width: number;
  height: number;
  lines: OcrLine[];
}

/** Where a value was read: the union of the boxes of the words it came from. */
export interface Evidence {
  page: number;
  bbox: BBox;
}

/** One extracted value. */
export interface ExtractedField {
  /** Normalised, see {@link FieldKind}. */
  value: string | number;
  /** `money` only, when printed: `RM`, `$`, `EUR`, … */
  currency?: string;
  /** The text the value was read from, as OCRed. */
  raw: string;
  /** 0–1. */
  confidence: number;
  /** Absent only when an LLM's value could not be found on any page. */
  evidence?: Evidence;
}

/** The `fields` of a job's results. */
export interface Extraction {
  /** The schema's name: a built-in one or `custom`. */
  schema: string;
  extractor: 'local' | 'llm';
  /** Every field of the schema; null when not found. */
  fields: Record<string, ExtractedField | null>;
  /** Required fields that were not found. */
  missing: string[];
  /** The extracted object checked against the schema's JSON Schema; reported, never thrown. */
  errors: { path: string; message: string }[];
  /** E.g. why the LLM extractor was not used. */
  notes: string[];
}
