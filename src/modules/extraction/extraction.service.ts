import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { threadFile } from '../../common/thread-file.js';
import { withTimeout } from '../../common/with-timeout.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { completeExtraction } from '../../fields/complete.js';
import type { Extraction, ExtractionSchema, ExtractPage } from '../../fields/extraction.js';
import type { JobPage } from '../../jobs/job-state.repository.js';
import type { PageText } from '../../jobs/job-result.js';
import type { extract, ExtractionRequest } from './extract.js';

/** V8 heap an extraction's thread may use: a 500-page document's words fit many times over. */
const THREAD_HEAP_MB = 256;

/**
 * Extracts a schema's fields from a job's stored pages, in a thread of its
 * own (see `extraction.worker.ts`): with the LLM when one is configured,
 * falling back to the local extractor (with a note saying why) while it is
 * unavailable; locally otherwise. A thread that outlives its time limit is
 * stopped and the fields come back null with a note saying so: a client's
 * schema or document must not hold a queue slot (or a request) for long,
 * and the job's text is still worth having.
 */
@Injectable()
export class ExtractionService {
  private readonly logger = new Logger(ExtractionService.name);

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async extract(schema: ExtractionSchema, rows: JobPage[]): Promise<Extraction> {
    const request: ExtractionRequest = { schema, pages: extractPages(rows), llm: this.config.llm };
    const thread = new Worker(threadFile(new URL('./extraction.worker.js', import.meta.url)), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    // The LLM may be asked twice (again without `response_format`), each time with its own timeout.
    const limitMs = this.config.extractionTimeoutMs + 2 * (this.config.llm?.timeoutMs ?? 0);
    try {
      // `once` rejects on the thread's 'error' event (an exception, out of memory).
      const answer = await withTimeout(once(thread, 'message'), limitMs, () => 'timeout' as const);
      if (answer === 'timeout') {
        this.logger.warn({ schema: schema.name, limitMs }, 'extraction stopped at its time limit');
        return timedOut(schema, limitMs);
      }
      const [{ extraction, llmError }] = answer as [Awaited<ReturnType<typeof extract>>];
      if (llmError) this.logger.warn({ reason: llmError }, 'LLM extractor unavailable; extracted locally');
      return extraction;
    } finally {
      await thread.terminate();
    }
  }
}

/** Every field null (so the required ones missing), and why. */
function timedOut(schema: ExtractionSchema, limitMs: number): Extraction {
  const fields = Object.fromEntries(schema.fields.map((field) => [field.name, null]));
  const note = `Extraction was stopped after ${limitMs / 1000} s, its time limit (EXTRACTION_TIMEOUT_MS); no fields were read.`;
  return completeExtraction(schema, fields, 'local', [note]);
}

/** The pages that have text, as the extractors read them. */
function extractPages(rows: JobPage[]): ExtractPage[] {
  return rows.flatMap((row) => {
    if (row.status !== 'SUCCEEDED' || !row.result) return [];
    const page = row.result as unknown as PageText;
    return [{ number: row.number, width: page.width, height: page.height, lines: page.lines }];
  });
}
