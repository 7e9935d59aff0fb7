import type { PageContent, ReaderOptions } from './document-types.js';

/**
 * What a reader's thread is asked, one document at a time: open it (answered
 * as id 0), read its pages, then close it (drop everything it held), after
 * which the thread may be asked to open another.
 */
export type ReaderRequest =
  | { kind: 'open'; data: Uint8Array; options: ReaderOptions }
  /** One page (1-based), cut into as many as `bands` bands for OCR. */
  | { kind: 'page'; id: number; page: number; bands: number }
  /** Answered once every page asked for before it has been answered. */
  | { kind: 'close'; id: number };

/** The thread's answer; id 0 answers the opening itself. */
export interface ReaderReply {
  id: number;
  value?: PageContent | { mediaType: string; pageCount: number } | null;
  /** A failure, as the thread classified it: `document` ones are the file's fault. */
  error?: { code: string; message: string; document: boolean };
}

/** PDF readers accept the `%PDF-` header anywhere in the first kilobyte. */
export function isPdf(data: Uint8Array): boolean {
  return Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 1024)).includes('%PDF-');
}
