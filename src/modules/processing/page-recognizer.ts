import { Injectable, Logger } from '@nestjs/common';
import { DocumentError } from '../../common/app-error.js';
import { mapBoxes, type BBox, type OcrPage, type Rotation } from '../../ocr/ocr-types.js';
import type { DocumentReader } from '../../reader/document-reader.js';
import { wholeImage } from '../../reader/image-decoder.js';
import type { PageOutcome, PageText } from '../../jobs/job-result.js';
import { completeTextLayer } from './mixed-page.js';
import { OcrPoolsService } from './ocr-pools.service.js';

/**
 * Page confidence (Tesseract's mean word confidence) from which a page read as
 * it is counts as upright, without orientation detection. Measured on the 25
 * SROIE receipts with the fast model at PSM 6: upright 49-96 (one under 60),
 * turned by 90, 180 or 270 degrees 23-49.
 */
const UPRIGHT_CONFIDENCE = 60;
/**
 * A page under {@link UPRIGHT_CONFIDENCE} still counts as upright when at least
 * this share of its words was read with {@link SURE_WORD} confidence or more:
 * text read the wrong way up has next to no such words, a hard upright scan
 * a good few. The native engine at PSM 6 on the 25 SROIE receipts of the
 * corpus turned 0, 90, 180 and 270 degrees: turned, 0-7 % of words (75
 * readings); upright, 26-88 %, but for two scans too faint to tell (0 and
 * 5 %). On 16 other SROIE receipts, turned 1-7 % (48 readings); the two upright
 * ones under 60 had 16 and 18 % (mean confidence 53 and 52) and no longer go
 * to orientation detection, which cost 0.3 s of CPU each, and read one of
 * them as turned 180 degrees.
 */
const UPRIGHT_SURE_SHARE = 0.12;
const SURE_WORD = 90;

/** How one page of a job is read. */
export interface PageOptions {
  /** Stops the page's work (a cancel, a lost lease). */
  signal?: AbortSignal;
  /** For the log. */
  jobId?: string;
  /** OCR languages; the engines' default when absent. */
  languages?: string[];
}

/**
 * One page through the pipeline: read it (text layer, or an image rendered
 * and right-sized in the reader's thread, or both for a mixed PDF page), OCR
 * what needs it upright, and report boxes in the page's own pixels.
 */
@Injectable()
export class PageRecognizer {
  private readonly logger = new Logger(PageRecognizer.name);

  constructor(private readonly ocr: OcrPoolsService) {}

  /**
   * A page's outcome. A document problem confined to this page (too large to
   * render, an unreadable TIFF frame, an OCR timeout) fails the page only;
   * anything else is thrown for the job's retry.
   *
   * Each outcome is logged at debug level, before it is stored: a page read
   * again after its worker died shows as a second line (test/chaos counts them).
   */
  async recognize(reader: DocumentReader, number: number, options: PageOptions = {}): Promise<PageOutcome> {
    const outcome = await this.read(reader, number, options);
    this.logger.debug({ jobId: options.jobId, page: number, status: outcome.status }, 'page recognized');
    return outcome;
  }

  private async read(reader: DocumentReader, number: number, { signal, languages }: PageOptions): Promise<PageOutcome> {
    const timings: Record<string, number> = {};
    const lap = stopwatch();
    try {
      // A one-page document is cut into a band per idle engine, read at once:
      // lower latency for some extra CPU (each band is laid out on its own).
      // Engines that are all busy (other jobs, or pages of this one) would
      // only queue the bands, so then the page is read whole.
      const content = await reader.page(number, { bands: reader.pageCount === 1 ? this.ocr.idleEngines(languages) : 1 });
      timings.read = lap();
      if (content.kind === 'text') {
        const { width, height, dpi, text, lines } = content;
        return { number, status: 'SUCCEEDED', source: 'text-layer', rotation: 0, result: { width, height, dpi, text, confidence: 100, lines }, timings };
      }
      // Most pages are upright and read with confidence: orientation detection
      // (0.27 s of CPU a receipt, a third of its OCR) runs only for a page
      // whose reading as it is was unsure; a page found turned is read again
      // turned, and the more confident of the two readings stands.
      let page = await this.ocr.recognize(content, { signal, languages });
      timings.ocr = lap();
      let rotation: Rotation = 0;
      // A mixed page stands as its text layer does, whose boxes are in the page's upright frame.
      if (!content.textLayer && !readsUpright(page)) {
        const whole = await wholeImage(content, content.imageWidth, content.imageHeight);
        const upright = await this.ocr.upright(whole, { signal });
        timings.orientation = lap();
        if (upright.rotation !== 0) {
          const turned = await this.ocr.recognize(upright.image, { signal, languages });
          timings.ocr += lap();
          // OSD can be sure and wrong: it put 2 of 16 upright receipts (SROIE 004 and 011) at 180 degrees.
          if (turned.confidence > page.confidence) [page, rotation] = [turned, upright.rotation];
        }
      }
      const result = { ...scaled(unskewed(page, content.skew), content.width / content.imageWidth), skew: content.skew, dpi: content.dpi };
      if (content.textLayer) {
        return { number, status: 'SUCCEEDED', source: 'mixed', rotation, result: completeTextLayer(content.textLayer, result), timings };
      }
      return { number, status: 'SUCCEEDED', source: 'ocr', rotation, result, timings };
    } catch (error) {
      if (!(error instanceof DocumentError)) throw error;
      timings.failed = lap();
      return { number, status: 'FAILED', error: { code: error.code, message: error.message }, timings };
    }
  }
}

/** Whether a page's reading shows it stood the right way up (see {@link UPRIGHT_SURE_SHARE}). */
function readsUpright(page: OcrPage): boolean {
  if (page.confidence >= UPRIGHT_CONFIDENCE) return true;
  const words = page.lines.flatMap((line) => line.words);
  return words.filter((word) => word.confidence >= SURE_WORD).length >= UPRIGHT_SURE_SHARE * words.length && words.length > 0;
}

/**
 * Boxes read on the straightened image, turned back into the page's own
 * pixels: each corner rotated `skew` degrees clockwise about the centre, and
 * the box around them.
 */
function unskewed(page: OcrPage, skew: number): OcrPage {
  if (skew === 0) return page;
  const radians = (skew * Math.PI) / 180;
  const [cos, sin] = [Math.cos(radians), Math.sin(radians)];
  const [cx, cy] = [page.width / 2, page.height / 2];
  const box = ({ x0, y0, x1, y1 }: BBox): BBox => {
    const corners = [[x0, y0], [x1, y0], [x0, y1], [x1, y1]].map(([x, y]) => [
      cx + (x! - cx) * cos - (y! - cy) * sin,
      cy + (x! - cx) * sin + (y! - cy) * cos,
    ]);
    const clamp = (v: number, max: number) => Math.min(max, Math.max(0, Math.round(v)));
    return {
      x0: clamp(Math.min(...corners.map(([x]) => x!)), page.width),
      y0: clamp(Math.min(...corners.map(([, y]) => y!)), page.height),
      x1: clamp(Math.max(...corners.map(([x]) => x!)), page.width),
      y1: clamp(Math.max(...corners.map(([, y]) => y!)), page.height),
    };
  };
  return { ...page, lines: mapBoxes(page.lines, box) };
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
  if (factor === 1) return { width, height, text, confidence, lines };
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
    lines: mapBoxes(lines, box),
  };
}
