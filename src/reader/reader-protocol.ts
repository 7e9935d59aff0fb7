import type { PageContent, ReaderOptions } from './document-types.js';

/** The first message a reader's thread gets: the document to open (answered as id 0). */
export interface ReaderOpen {
  data: Uint8Array;
  options: ReaderOptions;
}

/** Asks the reader's thread for one page (1-based), cut into as many as `bands` bands for OCR. */
export interface ReaderRequest {
  id: number;
  page: number;
  bands: number;
}

/** The thread's answer; id 0 answers the opening itself. */
export interface ReaderReply {
  id: number;
  value?: PageContent | { mediaType: string; pageCount: number };
  /** A failure, as the thread classified it: `document` ones are the file's fault. */
  error?: { code: string; message: string; document: boolean };
}

/** PDF readers accept the `%PDF-` header anywhere in the first kilobyte. */
export function isPdf(data: Uint8Array): boolean {
  return Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 1024)).includes('%PDF-');
}
