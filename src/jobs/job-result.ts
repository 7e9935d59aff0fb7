import type { OcrLine, Rotation } from '../ocr/ocr-types.js';

/**
 * Where a page's text came from: its PDF's text layer, OCR of its image, or
 * both (`mixed`: a PDF page with a text layer and images of text, such as a
 * typed header over a scanned body).
 */
export type PageSource = 'text-layer' | 'ocr' | 'mixed';

/** One line of a page's text; on a `mixed` page each line says which of the two read it. */
export interface PageLine extends OcrLine {
  source?: Exclude<PageSource, 'mixed'>;
}

/** The text of one finished page, as stored in `job_pages.result`. */
export interface PageText {
  /** Page size in pixels; every box refers to it. */
  width: number;
  height: number;
  /** Resolution PDF pages were measured (and rendered) at; absent for images. */
  dpi?: number;
  text: string;
  /** Mean word confidence, 0–100; 100 for a text layer (and for each of its words on a mixed page). */
  confidence: number;
  /** OCR only: clockwise degrees the text stood askew, straightened before reading (`OCR_DESKEW`). */
  skew?: number;
  lines: PageLine[];
}

/** One page's outcome, the unit a job is checkpointed in. */
export type PageOutcome =
  | { number: number; status: 'SUCCEEDED'; source: PageSource; rotation: Rotation; result: PageText; timings: Timings }
  | { number: number; status: 'FAILED'; error: { code: string; message: string }; timings: Timings };

/** A file the worker made for a job (an output), as recorded with its result. */
export interface JobArtifact {
  /** The name clients ask for: `GET /jobs/{id}/artifacts/{name}`. */
  name: string;
  contentType: string;
  sizeBytes: number;
  /** Where it is in the artifact store, under the job's folder. */
  key: string;
}

/** Milliseconds spent per pipeline stage of a page, e.g. `{read, ocr}`. */
export type Timings = Record<string, number>;

/** Separates pages in the whole-document text, as Tesseract's own text output does. */
export const PAGE_SEPARATOR = '\n\f';

/** The document's text: every page in order, a failed page as an empty one. */
export function documentText(pages: { text?: string }[]): string {
  return pages.map((page) => page.text ?? '').join(PAGE_SEPARATOR);
}
