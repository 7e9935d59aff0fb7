import { Injectable } from '@nestjs/common';
import { DocumentError } from '../../common/app-error.js';
import { mapBoxes, type BBox, type OcrPage, type Rotation } from '../../ocr/ocr-types.js';
import type { DocumentReader } from '../../reader/document-reader.js';
import type { PageOutcome, PageText } from '../documents/job-result.js';
import { OcrEngineService } from './ocr-engine.service.js';

/**
 * Page confidence (Tesseract's mean word confidence) from which a page read as
 * it is counts as upright, without orientation detection. Measured on the 25
 * SROIE receipts with the fast model at PSM 6: upright 49-96 (one under 60),
 * turned by 90, 180 or 270 degrees 23-49.
 */
const UPRIGHT_CONFIDENCE = 60;

/**
 * One page through the pipeline: read it (text layer, or an image rendered
 * and right-sized in the reader's thread), OCR what needs it upright, and
 * report boxes in the page's own pixels.
 */
@Injectable()
export class PageRecognizer {
  constructor(private readonly ocr: OcrEngineService) {}

  /**
   * A page's outcome. A document problem confined to this page (too large to
   * render, an unreadable TIFF frame, an OCR timeout) fails the page only;
   * anything else is thrown for the job's retry.
   */
  async recognize(reader: DocumentReader, number: number, signal?: AbortSignal): Promise<PageOutcome> {
    const timings: Record<string, number> = {};
    const lap = stopwatch();
    try {
      const content = await reader.page(number);
      timings.read = lap();
      if (content.kind === 'text') {
        const { width, height, dpi, text, lines } = content;
        return { number, status: 'SUCCEEDED', source: 'text-layer', rotation: 0, result: { width, height, dpi, text, confidence: 100, lines }, timings };
      }
      // Most pages are upright and read with confidence: orientation detection
      // (0.27 s of CPU a receipt, a third of its OCR) runs only for a page
      // whose reading as it is was unsure, and the page is read again if turned.
      let page = await this.ocr.recognize(content.image, { signal });
      timings.ocr = lap();
      let rotation: Rotation = 0;
      if (page.confidence < UPRIGHT_CONFIDENCE) {
        const upright = await this.ocr.upright(content.image, { signal });
        timings.orientation = lap();
        rotation = upright.rotation;
        if (rotation !== 0) {
          page = await this.ocr.recognize(upright.image, { signal });
          timings.ocr += lap();
        }
      }
      const result = scaled(page, content.width / content.imageWidth);
      return { number, status: 'SUCCEEDED', source: 'ocr', rotation, result: { ...result, dpi: content.dpi }, timings };
    } catch (error) {
      if (!(error instanceof DocumentError)) throw error;
      timings.failed = lap();
      return { number, status: 'FAILED', error: { code: error.code, message: error.message }, timings };
    }
  }
}

function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = Math.round(now - last);
    last = now;
    return elapsed;
  };
}

/** OCR output of a right-sized image, in the pixels of the page it came from. */
function scaled(page: OcrPage, factor: number): PageText {
  const { width, height, text, confidence, lines } = page;
  const skew = Math.round(page.skew * 100) / 100;
  if (factor === 1) return { width, height, text, confidence, skew, lines };
  const box = (b: BBox): BBox => ({
    x0: Math.round(b.x0 * factor),
    y0: Math.round(b.y0 * factor),
    x1: Math.round(b.x1 * factor),
    y1: Math.round(b.y1 * factor),
  });
  return {
    width: Math.round(width * factor),
    height: Math.round(height * factor),
    text,
    confidence,
    skew,
    lines: mapBoxes(lines, box),
  };
}
