import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Extraction, ExtractionSchema, ExtractPage } from '../../extract/extraction.js';
import { extractLocally } from '../../extract/local-extractor.js';
import type { JobPage } from '../documents/job-state.repository.js';
import type { PageText } from '../documents/job-result.js';
import { LLM_EXTRACTOR } from './extraction.tokens.js';
import { LlmUnavailableError, type LlmExtractor } from './llm-extractor.js';

/**
 * Extracts a schema's fields from a job's stored pages: with the LLM when one
 * is configured, falling back to the local extractor (with a note saying why)
 * while it is unavailable; locally otherwise.
 */
@Injectable()
export class ExtractionService {
  private readonly logger = new Logger(ExtractionService.name);

  constructor(@Inject(LLM_EXTRACTOR) private readonly llm: LlmExtractor | null) {}

  async extract(schema: ExtractionSchema, rows: JobPage[], signal?: AbortSignal): Promise<Extraction> {
    const pages = extractPages(rows);
    if (!this.llm) return extractLocally(schema, pages);
    try {
      return await this.llm.extract(schema, pages, signal);
    } catch (error) {
      if (!(error instanceof LlmUnavailableError)) throw error;
      this.logger.warn({ err: error }, 'LLM extractor unavailable; extracting locally');
      const local = extractLocally(schema, pages);
      return { ...local, notes: [`The LLM extractor was unavailable (${error.message}); the local extractor was used.`, ...local.notes] };
    }
  }
}

/** The pages that have text, as the extractors read them. */
function extractPages(rows: JobPage[]): ExtractPage[] {
  return rows.flatMap((row) => {
    if (row.status !== 'SUCCEEDED' || !row.result) return [];
    const page = row.result as unknown as PageText;
    return [{ number: row.number, width: page.width, height: page.height, lines: page.lines }];
  });
}
