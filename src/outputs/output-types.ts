import type { OcrLine, Rotation } from '../ocr/ocr-types.js';

/**
 * One page as the outputs see it: the stored result of a finished page
 * (`job_pages.result`, the jobs core's `PageText`, which has this shape), its
 * number, where its text came from and how it was turned to read it. Boxes
 * are in the pixels of `width` × `height`: for a page turned to be read
 * (`rotation` ≠ 0) those of the upright image, for a PDF page those of the
 * page rendered at `dpi`.
 */
export interface OutputPage {
  number: number;
  /** `mixed`: a PDF page read from its text layer and by OCR; each line says which. */
  source: 'text-layer' | 'ocr' | 'mixed';
  /** Clockwise degrees the page was turned to read it. */
  rotation: Rotation;
  width: number;
  height: number;
  dpi?: number;
  text: string;
  confidence: number;
  lines: Array<OcrLine & { source?: 'text-layer' | 'ocr' }>;
}
