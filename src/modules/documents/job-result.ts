import type { OcrPage } from '../../ocr/ocr-types.js';

/** One page of a job's result, as `GET /jobs/:id/results` returns it. */
export interface PageResult extends OcrPage {
  /** 1-based page number. */
  number: number;
}

/** Separates pages in the whole-document text, as Tesseract's own text output does. */
export const PAGE_SEPARATOR = '\n\f';

export function documentText(pages: PageResult[]): string {
  return pages.map((page) => page.text).join(PAGE_SEPARATOR);
}
