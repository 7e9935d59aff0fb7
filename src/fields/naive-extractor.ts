import { completeExtraction } from './complete.js';
import type { ExtractedField, Extraction, ExtractionSchema, ExtractPage, FieldSpec } from './extraction.js';
import { DATE_SEARCH, MONEY_SEARCH, normaliseValue } from './normalise.js';
import type { OcrLine } from '../ocr/ocr-types.js';

/**
 * The baseline the benchmark compares the local extractor with: regular
 * expressions over the text lines in OCR order, no layout. The first line is
 * the vendor and the next two its address, the first date-looking text is the
 * date, the amount after the last "total" (else the largest amount) is the
 * total, and any other field is the text after its label. Not used by the service.
 */
export function extractNaively(schema: ExtractionSchema, pages: ExtractPage[]): Extraction {
  const lines = pages.flatMap((page) => page.lines.filter((l) => l.text.trim()).map((line) => ({ page: page.number, line })));
  const fields: Record<string, ExtractedField | null> = {};
  for (const spec of schema.fields) fields[spec.name] = find(spec, lines) ?? null;
  return completeExtraction(schema, fields, 'local', ['naive baseline']);
}

type Line = { page: number; line: OcrLine };

function find(spec: FieldSpec, lines: Line[]): ExtractedField | undefined {
  if (spec.kind === 'date') return first(spec, lines, (text) => text.match(new RegExp(DATE_SEARCH.source, 'i'))?.[0]);
  if (spec.kind === 'money') {
    const total = [...lines].reverse().find((l) => /total/i.test(l.line.text) && amounts(l.line.text).length > 0);
    if (total) return field(spec, total, amounts(total.line.text)[0]);
    const all = lines.flatMap((l) => amounts(l.line.text).map((a) => ({ l, a })));
    const largest = all.sort((x, y) => Number(normaliseValue(spec, y.a)?.value ?? 0) - Number(normaliseValue(spec, x.a)?.value ?? 0))[0];
    return largest && field(spec, largest.l, largest.a);
  }
  if (/^(company|vendor|merchant|seller|store)/i.test(spec.name)) return lines[0] && field(spec, lines[0], lines[0].line.text);
  if (/address/i.test(spec.name)) {
    const address = lines.slice(1, 3);
    return address.length > 0 ? field(spec, address[0], address.map((l) => l.line.text).join(' ')) : undefined;
  }
  return first(spec, lines, (text) => {
    const label = spec.labels.find((l) => text.toLowerCase().includes(l));
    return label && text.slice(text.toLowerCase().indexOf(label) + label.length).replace(/^[\s:#.-]+/, '');
  });
}

function amounts(text: string): string[] {
  return text.match(new RegExp(MONEY_SEARCH.source, 'gi'))?.map((a) => a.trim()) ?? [];
}

function first(spec: FieldSpec, lines: Line[], pick: (text: string) => string | undefined): ExtractedField | undefined {
  for (const l of lines) {
    const raw = pick(l.line.text);
    const found = raw ? field(spec, l, raw) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** The whole line is the evidence: the baseline does not know which words the value came from. */
function field(spec: FieldSpec, l: Line, raw: string): ExtractedField | undefined {
  const value = normaliseValue(spec, raw);
  return value && { ...value, raw, confidence: l.line.confidence / 100, evidence: { page: l.page, bbox: l.line.bbox } };
}
