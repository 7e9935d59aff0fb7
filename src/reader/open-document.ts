import type { PageContent } from './document-types.js';

/** A document opened inside the reader's thread; ending the thread releases it. */
export interface OpenDocument {
  mediaType: string;
  pageCount: number;
  /** 1-based. */
  page(number: number): Promise<PageContent>;
}
