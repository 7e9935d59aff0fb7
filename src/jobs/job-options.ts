import { z } from 'zod';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { languageList } from '../common/languages.js';
import { DEFAULT_OUTPUTS, OUTPUTS } from '../outputs/outputs.js';
import { parseWebhookEvents, WEBHOOK_EVENTS } from '../common/webhook-events.js';

/** Most OCR languages one job may ask for: each one more makes every page slower to read. */
const MAX_LANGUAGES = 5;

/** Longest `pages` value accepted; a page list longer than this is not a typo. */
const MAX_RANGES_LENGTH = 200;

/** `1-3,7,10-`: pages and inclusive ranges, 1-based; `N-` runs to the last page. */
const RANGES = /^\d{1,6}(-\d{0,6})?(,\d{1,6}(-\d{0,6})?)*$/;

/**
 * How a job reads its document, from the upload's form fields. Stored with the
 * job (the password is kept apart, see `jobs.password`) and parsed again in the
 * worker, because a row may have been written by older code.
 */
export const jobOptionsSchema = z.object({
  /** Pages to process, e.g. `1-3,7`; every page when absent. */
  pages: z
    .string()
    .max(MAX_RANGES_LENGTH)
    .transform((value) => value.replace(/\s+/g, ''))
    .refine((value) => RANGES.test(value) && parseRanges(value).every(([from, to]) => from >= 1 && from <= to), {
      message: 'a list of pages and ranges such as 1-3,7 or 5- (1-based, ascending ranges)',
    })
    .optional(),
  /** `force` OCRs PDF pages even when they have a text layer. */
  ocr: z.enum(['auto', 'force']).default('auto'),
  /**
   * OCR languages, `deu+eng` in the form (the first the main one), each one of
   * the deployment's `OCR_LANGS` (see {@link jobLanguages}); its
   * `OCR_DEFAULT_LANGS` when absent.
   */
  languages: languageList(MAX_LANGUAGES).optional(),
  /** Fields to extract: a built-in schema's name or a custom schema as JSON text, see `parseSchema`. */
  schema: z.string().optional(),
  /**
   * What to make from the recognition, comma-separated in the form (`text,json,pdf`): see
   * `src/outputs/outputs.ts`. Stored as the list, without repeats.
   */
  outputs: z
    .preprocess(
      (value) => (typeof value === 'string' && value.length <= 100 ? value.split(',').map((name) => name.trim()) : value),
      z.array(z.enum(OUTPUTS, { error: `each output is one of ${OUTPUTS.join(', ')}` })).min(1),
    )
    .transform((names) => [...new Set(names)])
    .default([...DEFAULT_OUTPUTS]),
  /** Where this job's webhooks go; checked (scheme, length, public address) at upload and at each delivery. */
  callbackUrl: z.string().optional(),
  /**
   * Which webhook events `callbackUrl` receives, comma-separated in the form;
   * default the four final ones (`job.page_completed` only when listed).
   */
  callbackEvents: z.preprocess(parseWebhookEvents, z.array(z.enum(WEBHOOK_EVENTS)).min(1)).optional(),
}).refine((options) => !options.callbackEvents || options.callbackUrl, {
  message: 'callbackEvents needs a callbackUrl',
  path: ['callbackEvents'],
});
export type JobOptions = z.infer<typeof jobOptionsSchema>;
/** Options as stored: what the schema accepts (a row is parsed again where it is read). */
export type StoredJobOptions = z.input<typeof jobOptionsSchema>;

/**
 * The languages a job reads with: those it asked for, or the deployment's default.
 *
 * @throws DocumentError LANGUAGE_NOT_INSTALLED naming the installed ones (a
 *   worker whose `OCR_LANGS` lacks one the API accepted fails the job with it).
 */
export function jobLanguages(asked: string[] | undefined, ocr: { languages: string[]; defaultLanguages: string[] }): string[] {
  const missing = asked?.filter((code) => !ocr.languages.includes(code)) ?? [];
  if (missing.length > 0) {
    const list = (codes: string[]) => codes.join(', ');
    throw new DocumentError(ErrorCode.LANGUAGE_NOT_INSTALLED, `OCR language ${list(missing)} is not installed; installed: ${list(ocr.languages)}`, {
      installed: ocr.languages,
    });
  }
  return asked ?? ocr.defaultLanguages;
}

type Range = [from: number, to: number];

function parseRanges(value: string): Range[] {
  return value.split(',').map((part) => {
    const [from, to] = part.split('-');
    const start = Number(from);
    if (to === undefined) return [start, start];
    return [start, to === '' ? Number.POSITIVE_INFINITY : Number(to)];
  });
}

/**
 * The page numbers a job processes, ascending and without repeats. The count
 * is checked before any list is built, so a document claiming millions of
 * pages costs nothing.
 *
 * @throws DocumentError PAGES_OUT_OF_RANGE when a requested page does not exist,
 *   TOO_MANY_PAGES when more than `maxPages` would be processed.
 */
export function selectPages(pages: string | undefined, pageCount: number, maxPages: number): number[] {
  const requested = pages === undefined ? [[1, pageCount] as Range] : parseRanges(pages);
  const beyond = requested.find(([from, to]) => Math.max(from, Number.isFinite(to) ? to : from) > pageCount);
  if (beyond) {
    const page = beyond[0] > pageCount ? beyond[0] : beyond[1];
    throw new DocumentError(
      ErrorCode.PAGES_OUT_OF_RANGE,
      `Page ${page} was requested; the document has ${pageCount} page${pageCount === 1 ? '' : 's'}.`,
    );
  }
  // Open ranges (`5-`) end at the last page.
  const ranges = requested.map(([from, to]): Range => [from, Math.min(to, pageCount)]).sort((a, b) => a[0] - b[0]);
  // Merge overlapping ranges so the count is exact.
  const merged: Range[] = [];
  for (const [from, to] of ranges) {
    const last = merged.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  const count = merged.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  if (count > maxPages) {
    throw new DocumentError(ErrorCode.TOO_MANY_PAGES, `${count} pages would be processed; at most ${maxPages} are accepted (MAX_PAGES).`);
  }
  return merged.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
}
