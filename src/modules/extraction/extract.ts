import type { Extraction, ExtractionSchema, ExtractPage } from '../../fields/extraction.js';
import { extractLocally } from '../../fields/local-extractor.js';
import { LlmExtractor, LlmUnavailableError, type LlmConfig } from '../../fields/llm-extractor.js';

/** What one extraction asks for; it crosses to the extraction's thread as is. */
export interface ExtractionRequest {
  schema: ExtractionSchema;
  pages: ExtractPage[];
  /** Absent: local rules only. */
  llm?: LlmConfig;
}

/**
 * The fields, with the LLM when one is configured and the local rules
 * otherwise or when it fails; `llmError` says why it failed, for the log.
 */
export async function extract({ schema, pages, llm }: ExtractionRequest): Promise<{ extraction: Extraction; llmError?: string }> {
  if (!llm) return { extraction: extractLocally(schema, pages) };
  try {
    return { extraction: await new LlmExtractor(llm).extract(schema, pages) };
  } catch (error) {
    if (!(error instanceof LlmUnavailableError)) throw error;
    const local = extractLocally(schema, pages);
    const note = `The LLM extractor was unavailable (${error.message}); the local extractor was used.`;
    return { extraction: { ...local, notes: [note, ...local.notes] }, llmError: error.message };
  }
}
