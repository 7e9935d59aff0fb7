import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import sharp from 'sharp';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { unionBoxes, type BBox, type OcrLine } from '../ocr/ocr-types.js';
import { encodeForOcr, type LayoutOptions, type RawImage } from './image-decoder.js';
import type { OpenDocument } from './open-document.js';
import { isMixed, surveyPage, type PdfRect } from './pdf-page-survey.js';
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
/** A page's number, and its size in pixels at `dpi`. */
type PageSize = { number: number; width: number; height: number; dpi: number };

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

/**
 * Opens a PDF with pdf.js (version 6 never evaluates code from a PDF): no
 * network, no system fonts, fonts and CMaps from the pdfjs-dist package, and
 * images of more pixels than the page cap not decoded (a small page can embed
 * a gigantic image): their page fails with IMAGE_TOO_LARGE. The reader
 * thread's memory cap is sized for that cap: decoding a 35-megapixel RGB
 * image on a small page peaked at 321 MB outside the heap, a 49-megapixel
 * one at 440 MB, near the 512 MB at which the thread is ended.
 *
 * @throws DocumentError PASSWORD_REQUIRED, PASSWORD_INCORRECT, CORRUPT_FILE.
 */
export async function openPdf(data: Uint8Array, options: ReaderOptions): Promise<OpenDocument> {
  const { getDocument, PasswordResponses, VerbosityLevel } = await pdfjs();
  watchConsole();
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
    verbosity: VerbosityLevel.WARNINGS, // see watchConsole
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
      const removed = imagesRemoved;
      try {
        const content = await readPage(page, number, options, bands, canvasOf);
        // The page's images are decoded while it is surveyed or drawn: by now any too large is known.
        if (imagesRemoved > removed) {
          throw new DocumentError(
            ErrorCode.IMAGE_TOO_LARGE,
            `Page ${number} holds an image of more than ${options.pdf.maxPagePixels} pixels (MAX_PAGE_PIXELS); it is not decoded.`,
          );
        }
        return content;
      } finally {
        page.cleanup();
      }
    },
    close: async () => {
      canvas = undefined;
      await task.destroy();
    },
  };
}

/** All pdf.js says (pdf.worker.mjs, `buildPaintImageXObject`) when it leaves out an image over `maxImageSize`. */
const IMAGE_REMOVED = 'Image exceeded maximum allowed size and was removed.';
let imagesRemoved = 0;

/**
 * pdf.js leaves out an image over `maxImageSize` with nothing but a warning,
 * and the page then reads as if the image were not there: a scan comes back
 * empty, a mixed page without its scan. Its warnings go to `console.warn`
 * (at verbosity WARNINGS); this thread's console is nobody's log, so they
 * are counted here for that one message and otherwise dropped, as at
 * verbosity ERRORS before; its notices (`Info: …`, deprecations) are dropped
 * too, as they must not reach the service's log stream raw. Pages are read
 * one at a time (reader.worker.ts), so a warning belongs to the page being read.
 */
function watchConsole(): void {
  console.log = console.info = console.debug = () => undefined;
  console.warn = (message: unknown) => {
    if (typeof message === 'string' && message.includes(IMAGE_REMOVED)) imagesRemoved += 1;
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
  const { dpi } = options.pdf;
  const viewport = page.getViewport({ scale: dpi / 72 });
  const size = { number, width: Math.round(viewport.width), height: Math.round(viewport.height), dpi };
  const layout = { maxPixels: options.ocrMaxPixels, deskew: options.deskew, bands };
  const textLayer = options.ocr === 'force' ? undefined : await readTextLayer(page, viewport, size);
  if (!textLayer) {
    // Decided from the page's size alone, before its images are decoded or a pixel is allocated.
    assertRenderable(size, options.pdf.maxPagePixels);
    return renderPage(page, size, layout, canvasOf);
  }
  const survey = surveyPage(await page.getOperatorList(), page.view, await pdfjs());
  if (!isMixed(survey)) return textLayer;
  // The text layer reads the rest: OCR is given the page's images alone.
  assertRenderable(size, options.pdf.maxPagePixels);
  return { ...(await renderPage(page, size, { ...layout, only: survey.images }, canvasOf)), textLayer: textLayer.lines };
}

/** The page's text layer, when it has readable text. */
async function readTextLayer(page: PDFPageProxy, viewport: PageViewport, size: PageSize): Promise<TextLayerPage | undefined> {
  const content = await page.getTextContent();
  const items = content.items.filter((item) => 'str' in item) as TextItem[];
  if (!items.some((item) => item.str.replace(UNREADABLE, '').length > 0)) return undefined;
  return textLayerPage(items, viewport, size);
}

/** @throws DocumentError PAGE_TOO_LARGE when the page has more pixels at its dpi than are rendered. */
function assertRenderable({ number, width, height, dpi }: PageSize, maxPagePixels: number): void {
  if (width * height <= maxPagePixels) return;
  throw new DocumentError(
    ErrorCode.PAGE_TOO_LARGE,
    `Page ${number} is ${width}x${height} pixels at ${dpi} dpi; at most ${maxPagePixels} pixels are rendered.`,
  );
}

/**
 * The page as a PNG on white for OCR, scaled down to fit `maxPixels` if
 * larger: a scan's own image when the page is nothing else (see
 * {@link scannedImage}), otherwise the page drawn on the canvas; only the
 * parts of it in the boxes `only` when given.
 */
async function renderPage(
  page: PDFPageProxy,
  size: PageSize,
  { maxPixels, only, ...layout }: LayoutOptions & { maxPixels: number; only?: PdfRect[] },
  canvasOf: CanvasOf,
): Promise<ImagePage> {
  const fit = Math.min(1, Math.sqrt(maxPixels / (size.width * size.height)));
  const viewport = page.getViewport({ scale: (size.dpi / 72) * fit });
  const [width, height] = [Math.max(1, Math.floor(viewport.width)), Math.max(1, Math.floor(viewport.height))];
  const pixels = only
    ? await drawPage(page, viewport, canvasOf(width, height), only.map(([x0, y0, x1, y1]) => [...viewport.convertToViewportPoint(x0, y0), ...viewport.convertToViewportPoint(x1, y1)]))
    : ((await scannedImage(page, width, height)) ?? (await drawPage(page, viewport, canvasOf(width, height))));
  const ocr = await encodeForOcr(pixels, layout);
  return { kind: 'image', ...size, image: ocr.image, imageWidth: pixels.width, imageHeight: pixels.height, skew: ocr.skew, bands: ocr.bands };
}

/**
 * Draws the page on `canvas`, on white; only what lies in the boxes `only`
 * (canvas pixels, corners in any order) when given. Pages are read one at a
 * time (see reader.worker.ts), so the canvas is free.
 */
async function drawPage(page: PDFPageProxy, viewport: PageViewport, canvas: Canvas, only?: number[][]): Promise<RawImage> {
  const context = canvas.getContext('2d');
  context.reset(); // whatever the previous page left: transform, clip, styles
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  await page.render({ canvas: canvas as never, canvasContext: context as never, viewport }).promise;
  if (only) {
    // Everything outside the boxes (their union: one nonzero path) made transparent, then white.
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.globalCompositeOperation = 'destination-in';
    context.beginPath();
    for (const [x0, y0, x1, y1] of only) context.rect(Math.min(x0!, x1!), Math.min(y0!, y1!), Math.abs(x1! - x0!), Math.abs(y1! - y0!));
    context.fillStyle = '#000000';
    context.fill();
    context.globalCompositeOperation = 'destination-over';
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
  }
  // The canvas is opaque (white first), so its premultiplied RGBA is plain RGB
  // plus an alpha of 255: the same pixels as canvas.encode('png'), written by
  // libvips at zlib level 1 (as prepareForOcr does) in 344 ms instead of 864 ms
  // for an A4 page at 300 dpi; PNG encoding was two thirds of the reader's CPU.
  return { data: canvas.data(), width: canvas.width, height: canvas.height, channels: 4 };
}

/** Operators that neither paint nor change how the page's one image looks. */
const NEUTRAL_OPS = ['save', 'restore', 'transform', 'dependency', 'setRenderingIntent', 'setFlatness', 'beginMarkedContent', 'beginMarkedContentProps', 'endMarkedContent'] as const;
/** Graphics state entries (`gs`) that leave an image's pixels as they are: no alpha, soft mask or transfer function. */
const NEUTRAL_STATE = new Set(['RI', 'FL', 'SM', 'OP', 'op', 'OPM', 'LW', 'LC', 'LJ', 'ML', 'D', 'SA', 'Font']);
const neutralState = (entries: Array<[string, unknown]>) =>
  entries.every(([key, value]) => NEUTRAL_STATE.has(key) || (key === 'BM' && value === 'source-over'));
/** How far the image may fall short of the page, or the page's pixels differ from the image's, and it still count as the page: 1 %. */
const FIT = 0.01;

/**
 * A scanned page, read without drawing it: when the page is nothing but one
 * opaque image (RGB, grey or 1-bit) drawn upright over the whole of it, the
 * image's own pixels, scaled to `width` x `height` unless they are within
 * 1 % of it. Anything else on the page, a turned or partial image, a mask,
 * transparency: undefined, and the page is drawn on a canvas.
 *
 * Drawing an A4 scan at 300 dpi cost the reader 400-500 ms, most of it
 * copying the decoded image into the canvas, scaling it onto the page and a
 * 35 MB RGBA canvas.
 */
async function scannedImage(page: PDFPageProxy, width: number, height: number): Promise<RawImage | undefined> {
  if (page.rotate % 360 !== 0) return undefined;
  const { OPS, ImageKind, Util } = await pdfjs();
  const neutral = new Set<number>(NEUTRAL_OPS.map((name) => OPS[name]));
  const { fnArray, argsArray } = await page.getOperatorList();
  let ctm = [1, 0, 0, 1, 0, 0];
  const saved: number[][] = [];
  let painted: { id: string; ctm: number[] } | undefined;
  for (const [i, fn] of fnArray.entries()) {
    const args = argsArray[i] as unknown[];
    if (fn === OPS.paintImageXObject && !painted) painted = { id: args[0] as string, ctm };
    else if (fn === OPS.setGState && neutralState(args[0] as Array<[string, unknown]>)) continue;
    else if (!neutral.has(fn)) return undefined;
    if (fn === OPS.save) saved.push(ctm);
    if (fn === OPS.restore) ctm = saved.pop() ?? ctm;
    if (fn === OPS.transform) ctm = Util.transform(ctm, args as number[]);
  }
  if (!painted) return undefined;
  // The unit square the image is drawn into must be the page's box, upright.
  const [a, b, c, d, e, f] = painted.ctm as [number, number, number, number, number, number];
  const [x0, y0, x1, y1] = page.view as [number, number, number, number];
  const near = (value: number, expected: number, size: number) => Math.abs(value - expected) <= FIT * size;
  const [pageWidth, pageHeight] = [x1 - x0, y1 - y0];
  if (b !== 0 || c !== 0 || !near(a, pageWidth, pageWidth) || !near(d, pageHeight, pageHeight)) return undefined;
  if (!near(e, x0, pageWidth) || !near(f, y0, pageHeight)) return undefined;

  const objects = painted.id.startsWith('g_') ? page.commonObjs : page.objs;
  const image = await new Promise<{ kind?: number; width: number; height: number; data?: Uint8Array } | null>((resolve) =>
    objects.get(painted.id, resolve),
  );
  if (!image?.data) return undefined;
  const pixels: Pick<RawImage, 'data' | 'channels'> | undefined =
    image.kind === ImageKind.RGB_24BPP ? rgbOrGrey(image.data)
    : image.kind === ImageKind.GRAYSCALE_1BPP ? { data: unpackBits(image.data, image.width, image.height), channels: 1 }
    : undefined;
  if (!pixels) return undefined;
  const raw: RawImage = { ...pixels, width: image.width, height: image.height };
  if (near(raw.width, width, width) && near(raw.height, height, height)) return raw;
  // libvips writes a resized grey image as RGB unless told: kept grey, and its
  // channels taken from what was written (a grey scan read as 1 byte a pixel
  // from 3 came back as smeared rows).
  const resized = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }).resize({ width, height, fit: 'fill' });
  const { data, info } = await (raw.channels === 1 ? resized.toColourspace('b-w') : resized).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** pdf.js's RGB pixels, as one grey channel when every pixel is grey (pdf.js makes a grey image RGB). */
function rgbOrGrey(rgb: Uint8Array): Pick<RawImage, 'data' | 'channels'> {
  const grey = Buffer.allocUnsafe(rgb.length / 3);
  for (let i = 0, j = 0; j < rgb.length; i++, j += 3) {
    const value = rgb[j]!;
    if (rgb[j + 1] !== value || rgb[j + 2] !== value) return { data: Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), channels: 3 };
    grey[i] = value;
  }
  return { data: grey, channels: 1 };
}

/** pdf.js's 1-bit image (rows padded to whole bytes, 1 white) as one byte per pixel. */
function unpackBits(packed: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.allocUnsafe(width * height);
  const stride = Math.ceil(width / 8);
  for (let y = 0, o = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) out[o++] = packed[row + (x >> 3)]! & (0x80 >> (x & 7)) ? 255 : 0;
  }
  return out;
}

/**
 * The text layer as lines of words with boxes in the page's pixels. pdf.js
 * gives runs of text (items) with a transform from text space; a line ends at
 * an item marked `hasEOL`. Word boxes are apportioned along their run by
 * character count: exact for the run, close for the word.
 */
function textLayerPage(items: TextItem[], viewport: PageViewport, size: PageSize): TextLayerPage {
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

