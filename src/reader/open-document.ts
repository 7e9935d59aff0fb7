import type { PageContent } from './document-types.js';

/** A document opened inside the reader's thread. */
export interface OpenDocument {
  mediaType: string;
  pageCount: number;
  /**
   * 1-based. An OCR page is cut at blank rows into as many as `bands` parts
   * that engines can read at once; any page over `MAX_BAND_PIXELS` is cut
   * into bands regardless (see image-decoder.ts).
   */
  page(number: number, bands: number): Promise<PageContent>;
  /** Lets go of what the document holds, so that the thread can read another. */
  close(): Promise<void>;
}
