import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { unionBoxes, type BBox, type OcrLine } from '../ocr/ocr-types.js';
import { encodeForOcr, type LayoutOptions } from './image-decoder.js';
import type { OpenDocument } from './open-document.js';
import type { ImagePage, PageContent, ReaderOptions, TextLayerPage } from './document-types.js';

const require = createRequire(import.meta.url);
const PDFJS_DIR = dirname(require.resolve('pdfjs-dist/package.json'));
// The legacy build is the one pdf.js supports on Node; loaded lazily so that only
// the reader's thread ever holds pdf.js.
const pdfjs = () => import('pdfjs-dist/legacy/build/pdf.mjs');

/** Glyphs a broken font maps to nothing readable: the replacement character and the private use area. */
const UNREADABLE = /[\uFFFD\uE000-\uF8FF\s]/gu;

/** The part of the font size above the baseline; pdf.js's own text layer assumes about 0.8. */
const ASCENT = 0.8;

type PageViewport = ReturnType<PDFPageProxy['getViewport']>;

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

/**
 * Opens a PDF with pdf.js (version 6 never evaluates code from a PDF): no
 * network, no system fonts, images above
 * the page pixel cap skipped rather than decoded (a small page can embed a
 * gigantic image), fonts and CMaps from the pdfjs-dist package.
 *
 * @throws DocumentError PASSWORD_REQUIRED, PASSWORD_INCORRECT, CORRUPT_FILE.
 */
export async function openPdf(data: Uint8Array, options: ReaderOptions): Promise<OpenDocument> {
  const { getDocument, PasswordResponses } = await pdfjs();
  const task = getDocument({
    data,
    password: options.password,
    standardFontDataUrl: join(PDFJS_DIR, 'standard_fonts/'),
    cMapUrl: join(PDFJS_DIR, 'cmaps/'),
    cMapPacked: true,
    wasmUrl: join(PDFJS_DIR, 'wasm/'),
    useSystemFonts: false,
    disableFontFace: true,
    enableXfa: false,
    maxImageSize: options.pdf.maxPagePixels,
    verbosity: 0,
  });
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (error) {
    const { name, code } = error as { name?: string; code?: number };
    if (name === 'PasswordException') {
      throw code === PasswordResponses.INCORRECT_PASSWORD
        ? new DocumentError(ErrorCode.PASSWORD_INCORRECT, 'The password does not open this PDF.')
        : new DocumentError(ErrorCode.PASSWORD_REQUIRED, 'The PDF is encrypted; send its password in the "password" field.');
    }
    if (name === 'InvalidPDFException' || name === 'FormatError' || name === 'UnknownErrorException') {
      throw new DocumentError(ErrorCode.CORRUPT_FILE, 'The PDF cannot be read.');
    }
    throw error;
  }
  // One canvas for the document while its pages keep the same size. A canvas's
  // pixels (35 MB for A4 at 300 dpi) are native memory the thread's garbage
  // collector does not see, so a new canvas per page left several alive at once:
  // reading 6 A4 pages peaked at +225 MB RSS with a canvas each.
  let canvas: Canvas | undefined;
  const canvasOf = (width: number, height: number): Canvas => {
    if (canvas?.width !== width || canvas.height !== height) canvas = createCanvas(width, height);
    return canvas;
  };
  return {
    mediaType: 'application/pdf',
    pageCount: doc.numPages,
    page: async (number, bands) => {
      const page = await doc.getPage(number).catch(() => {
        throw new DocumentError(ErrorCode.CORRUPT_FILE, `Page ${number} of the PDF cannot be read.`);
      });
      try {
        return await readPage(page, number, options, bands, canvasOf);
      } finally {
        page.cleanup();
      }
    },
  };
}

type CanvasOf = (width: number, height: number) => Canvas;

async function readPage(
  page: PDFPageProxy,
  number: number,
  options: ReaderOptions,
  bands: number,
  canvasOf: CanvasOf,
): Promise<PageContent> {
  const { dpi, maxPagePixels } = options.pdf;
  const viewport = page.getViewport({ scale: dpi / 72 });
  const width = Math.round(viewport.width);
  const height = Math.round(viewport.height);
  if (options.ocr !== 'force') {
    const content = await page.getTextContent();
    const items = content.items.filter((item) => 'str' in item) as TextItem[];
    if (items.some((item) => item.str.replace(UNREADABLE, '').length > 0)) {
      return textLayerPage(items, viewport, { number, width, height, dpi });
    }
  }
  // Decided from the page's size alone, before a pixel is allocated.
  if (width * height > maxPagePixels) {
    throw new DocumentError(
      ErrorCode.PAGE_TOO_LARGE,
      `Page ${number} is ${width}x${height} pixels at ${dpi} dpi; at most ${maxPagePixels} pixels are rendered.`,
    );
  }
  return renderPage(page, { number, width, height, dpi }, { maxPixels: options.ocrMaxPixels, deskew: options.deskew, bands }, canvasOf);
}

/**
 * Renders the page, scaled down to fit `maxPixels` if larger, as a PNG on white.
 * Pages are read one at a time (see reader.worker.ts), so the canvas is free.
 */
async function renderPage(
  page: PDFPageProxy,
  size: { number: number; width: number; height: number; dpi: number },
  { maxPixels, ...layout }: LayoutOptions & { maxPixels: number },
  canvasOf: CanvasOf,
): Promise<ImagePage> {
  const fit = Math.min(1, Math.sqrt(maxPixels / (size.width * size.height)));
  const viewport = page.getViewport({ scale: (size.dpi / 72) * fit });
  const canvas = canvasOf(Math.max(1, Math.floor(viewport.width)), Math.max(1, Math.floor(viewport.height)));
  const context = canvas.getContext('2d');
  context.reset(); // whatever the previous page left: transform, clip, styles
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  // The canvas is opaque (white first), so its premultiplied RGBA is plain RGB
  // plus an alpha of 255: the same pixels as canvas.encode('png'), written by
  // libvips at zlib level 1 (as prepareForOcr does) in 344 ms instead of 864 ms
  // for an A4 page at 300 dpi; PNG encoding was two thirds of the reader's CPU.
  const { width, height } = canvas;
  const ocr = await encodeForOcr({ data: canvas.data(), width, height, channels: 4 }, layout);
  return { kind: 'image', ...size, image: ocr.image, imageWidth: width, imageHeight: height, skew: ocr.skew, bands: ocr.bands };
}

/**
 * The text layer as lines of words with boxes in the page's pixels. pdf.js
 * gives runs of text (items) with a transform from text space; a line ends at
 * an item marked `hasEOL`. Word boxes are apportioned along their run by
 * character count: exact for the run, close for the word.
 */
function textLayerPage(
  items: TextItem[],
  viewport: PageViewport,
  size: { number: number; width: number; height: number; dpi: number },
): TextLayerPage {
  const lines: OcrLine[] = [];
  let words: OcrLine['words'] = [];
  let text = '';
  const endLine = () => {
    if (words.length > 0) {
      lines.push({ text: text.replace(/\s+/g, ' ').trim(), confidence: 100, bbox: unionBoxes(words.map((w) => w.bbox)), words });
    }
    words = [];
    text = '';
  };
  for (const item of items) {
    text += item.str;
    for (const match of item.str.matchAll(/\S+/g)) {
      const start = match.index / item.str.length;
      const end = (match.index + match[0].length) / item.str.length;
      words.push({ text: match[0], confidence: 100, bbox: runBox(item, viewport, start, end) });
    }
    if (item.hasEOL) endLine();
  }
  endLine();
  return { kind: 'text', ...size, text: lines.map((line) => line.text).join('\n'), lines };
}

/** The box of the part [start, end) (fractions of its length) of a text run, in viewport pixels. */
function runBox(item: TextItem, viewport: PageViewport, start: number, end: number): BBox {
  const [a, b, c, d, e, f] = item.transform as [number, number, number, number, number, number];
  const along = Math.hypot(a, b) || 1;
  const up = Math.hypot(c, d) || 1;
  const [ux, uy, vx, vy] = [a / along, b / along, c / up, d / up];
  const size = item.height || up;
  const corners = [
    [start, -(1 - ASCENT)],
    [end, -(1 - ASCENT)],
    [start, ASCENT],
    [end, ASCENT],
  ].map(([t, h]) => viewport.convertToViewportPoint(e + ux * item.width * t! + vx * size * h!, f + uy * item.width * t! + vy * size * h!));
  const xs = corners.map(([x]) => x!);
  const ys = corners.map(([, y]) => y!);
  return {
    x0: Math.floor(Math.min(...xs)),
    y0: Math.floor(Math.min(...ys)),
    x1: Math.ceil(Math.max(...xs)),
    y1: Math.ceil(Math.max(...ys)),
  };
}

