import type { PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
export type OperatorList = Awaited<ReturnType<PDFPageProxy['getOperatorList']>>;
type Matrix = [number, number, number, number, number, number];

/** A rectangle in a PDF page's user space: `[x0, y0, x1, y1]`, origin bottom-left. */
export type PdfRect = [number, number, number, number];

/** What a PDF page paints, as far as choosing how to read it goes. */
export interface PageSurvey {
  /** The box of each image the page draws (of its drawn square, when turned), clipped to the page. */
  images: PdfRect[];
  /** Share of the page (0–1) that images are drawn over. */
  imageCover: number;
  /** Glyphs of text the page draws, and how many of them invisibly (render mode 3 or 7): an OCR layer laid over a scan. */
  glyphs: number;
  invisibleGlyphs: number;
}

/**
 * Share of the page images must cover for its text layer not to be all of
 * it. A logo, a signature or a stamp stays under it (1-3 % of A4); one
 * scanned line across the page's width is 3 %, two lines 6 %. Low on
 * purpose: a page read as mixed needlessly costs the OCR of its images
 * (nothing else of it is given to OCR), one read from its text layer
 * wrongly loses their text.
 */
const MIXED_IMAGE_COVER = 0.05;

/** Cells a side of the grid image cover is counted on: 1/64 of the page, finer than any decision made on it. */
const GRID = 64;
/** Text render modes that paint nothing: 3 (invisible) and 7 (invisible, added to the clip). */
const INVISIBLE_MODES = new Set([3, 7]);

/**
 * A page with a text layer that OCR must complete: images cover a good part
 * of it, and its text is mostly visible. Mostly invisible text is an OCR
 * layer someone laid over the scan already (OCRmyPDF, Tesseract, scanner
 * software all write it in render mode 3), and is taken as the reading of
 * the images it lies over.
 */
export function isMixed({ imageCover, glyphs, invisibleGlyphs }: PageSurvey): boolean {
  return imageCover >= MIXED_IMAGE_COVER && invisibleGlyphs * 2 <= glyphs;
}

/**
 * Walks the page's operator list (as pdf.js built it: forms and annotations
 * inlined) keeping the transformation matrix and text render mode as a
 * renderer would, and measures where images land and how much of the text is
 * drawn at all.
 *
 * Images are placed by their unit square under the current matrix (their
 * box, when turned). pdf.js's grouped and repeated image operators, which it
 * makes only for many small copies (inline images under 200 pixels, one
 * image drawn over and over), are left out: they are patterns, not scans.
 */
export function surveyPage(
  { fnArray, argsArray }: OperatorList,
  view: number[],
  { OPS, Util }: Pick<PdfJs, 'OPS' | 'Util'>,
): PageSurvey {
  const [left, bottom, right, top] = view as PdfRect;
  const images: PdfRect[] = [];
  const place = ([a, b, c, d, e, f]: Matrix) => {
    const xs = [e, e + a, e + c, e + a + c];
    const ys = [f, f + b, f + d, f + b + d];
    const box: PdfRect = [
      Math.max(left, Math.min(...xs)),
      Math.max(bottom, Math.min(...ys)),
      Math.min(right, Math.max(...xs)),
      Math.min(top, Math.max(...ys)),
    ];
    if (box[0] < box[2] && box[1] < box[3]) images.push(box);
  };

  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  let mode = 0;
  const saved: Array<{ ctm: Matrix; mode: number }> = [];
  const save = () => saved.push({ ctm, mode });
  const restore = () => ({ ctm, mode } = saved.pop() ?? { ctm, mode });
  let glyphs = 0;
  let invisibleGlyphs = 0;
  for (const [i, fn] of fnArray.entries()) {
    const args = argsArray[i] as unknown[];
    switch (fn) {
      case OPS.save:
      case OPS.beginGroup:
        save();
        break;
      case OPS.restore:
      case OPS.endGroup:
      case OPS.paintFormXObjectEnd:
      case OPS.endAnnotation:
        restore();
        break;
      case OPS.transform:
        ctm = Util.transform(ctm, args as Matrix) as Matrix;
        break;
      case OPS.paintFormXObjectBegin:
        save();
        if (args[0]) ctm = Util.transform(ctm, args[0] as Matrix) as Matrix;
        break;
      case OPS.beginAnnotation: {
        // An annotation's appearance is drawn from the page's own space: its rect's transform, then its form matrix.
        save();
        const [, , transform, matrix] = args as [unknown, unknown, Matrix, Matrix];
        ctm = Util.transform(transform, matrix) as Matrix;
        mode = 0;
        break;
      }
      case OPS.setTextRenderingMode:
        mode = args[0] as number;
        break;
      case OPS.showText:
      case OPS.showSpacedText:
      case OPS.nextLineShowText:
      case OPS.nextLineSetSpacingShowText: {
        const shown = args.find(Array.isArray) as unknown[] | undefined;
        const count = shown?.filter((glyph) => typeof glyph === 'object' && glyph !== null).length ?? 0;
        glyphs += count;
        if (INVISIBLE_MODES.has(mode)) invisibleGlyphs += count;
        break;
      }
      case OPS.paintImageXObject:
      case OPS.paintInlineImageXObject:
      case OPS.paintImageMaskXObject:
        place(ctm);
        break;
    }
  }
  return { images, imageCover: cover(images, view as PdfRect), glyphs, invisibleGlyphs };
}

/** The share of `page` the union of `boxes` covers, counted on a grid: cells whose centre a box holds. */
function cover(boxes: PdfRect[], [left, bottom, right, top]: PdfRect): number {
  const covered = new Uint8Array(GRID * GRID);
  const column = (x: number) => ((x - left) / (right - left)) * GRID - 0.5;
  const row = (y: number) => ((y - bottom) / (top - bottom)) * GRID - 0.5;
  for (const [x0, y0, x1, y1] of boxes) {
    for (let j = Math.max(0, Math.ceil(row(y0))); j <= Math.min(GRID - 1, Math.floor(row(y1))); j++) {
      for (let i = Math.max(0, Math.ceil(column(x0))); i <= Math.min(GRID - 1, Math.floor(column(x1))); i++) covered[j * GRID + i] = 1;
    }
  }
  return covered.reduce((sum, cell) => sum + cell, 0) / covered.length;
}
