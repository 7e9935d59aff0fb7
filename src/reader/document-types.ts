import type { OcrLine } from '../ocr/ocr-types.js';
import type { ImageLimits } from './image-decoder.js';
import type { ImageBand } from '../ocr/ocr-types.js';

/** How a document is opened and its pages turned into text or OCR input. */
export interface ReaderOptions {
  /** User password of an encrypted PDF. */
  password?: string;
  /**
   * `auto` (default) reads a PDF page from its text layer, OCRs a page without
   * one, and both on a mixed page (text and images of text); `force` ignores
   * text layers and OCRs every page.
   */
  ocr?: 'auto' | 'force';
  /** Caps on uploaded images (and on each page of a multi-page TIFF). */
  image: ImageLimits;
  /** PDF pages are rasterised at `dpi`; a page over `maxPagePixels` at that resolution, or holding an image of more pixels, is refused. */
  pdf: { dpi: number; maxPagePixels: number };
  /**
   * OCR input is right-sized: a page image over this many pixels is scaled
   * down (aspect kept) before OCR, because a tesseract.js engine's wasm heap
   * grows to fit the largest image it has seen and never shrinks.
   */
  ocrMaxPixels: number;
  /** Measure each OCR page's tilt and straighten it (`OCR_DESKEW`). */
  deskew: boolean;
}

/** A page whose text came from the PDF's own text layer: exact, no OCR. */
export interface TextLayerPage {
  kind: 'text';
  /** 1-based page number in the document. */
  number: number;
  /** Page size in pixels at `dpi`, after the page's /Rotate; boxes refer to it. */
  width: number;
  height: number;
  dpi: number;
  text: string;
  /** Lines with words and boxes; confidence is 100 for text-layer words. */
  lines: OcrLine[];
}

/** A page that needs OCR: its image, ready for the engine. */
export interface ImagePage {
  kind: 'image';
  number: number;
  /**
   * PNG of the page, orientation (EXIF, TIFF tag, PDF /Rotate) applied, alpha
   * flattened onto white, straightened by `skew`; null when it is cut into
   * `bands` (see `wholeImage` in image-decoder.ts).
   */
  image: Buffer | null;
  /** Size of the page image (of `image`, or of its bands put together) in pixels. */
  imageWidth: number;
  imageHeight: number;
  /** Clockwise degrees the text stood tilted; `image` is turned back by as much about its centre. */
  skew: number;
  /** `image` cut at blank rows into parts that may be OCRed apart and at the same time; none when it is read whole. */
  bands: ImageBand[];
  /**
   * Size of the page in the pixels results are reported in: the original
   * image's (after orientation), or the PDF page's at `dpi`. Larger than the
   * image when it was right-sized for OCR; OCR boxes scale by width / imageWidth.
   */
  width: number;
  height: number;
  /** Render resolution for PDF pages; absent for images. */
  dpi?: number;
  /**
   * A mixed PDF page's text layer (see `isMixed` in pdf-page-survey.ts): its
   * lines and words in the pixels of `width` x `height`, which OCR of the
   * page's images completes; `image` then shows those images alone, the rest
   * of the page white. Absent on a page read by OCR alone.
   */
  textLayer?: OcrLine[];
}

export type PageContent = TextLayerPage | ImagePage;
