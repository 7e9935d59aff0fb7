/**
 * A rectangle in pixels of the image as it was OCRed (after orientation was
 * applied, see `prepareForOcr`): `x0,y0` top-left inclusive, `x1,y1` bottom-right
 * exclusive, origin at the top-left corner.
 */
export interface BBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The smallest box holding every one of `boxes` (at least one). */
export function unionBoxes(boxes: BBox[]): BBox {
  return boxes.reduce((u, b) => ({ x0: Math.min(u.x0, b.x0), y0: Math.min(u.y0, b.y0), x1: Math.max(u.x1, b.x1), y1: Math.max(u.y1, b.y1) }));
}

/** Clockwise rotation in degrees. */
export type Rotation = 0 | 90 | 180 | 270;

/** One recognised word. */
export interface OcrWord {
  text: string;
  /** Tesseract's confidence for the word, 0–100 (not a probability). */
  confidence: number;
  bbox: BBox;
}

/** Every line's and word's box moved by `box`: scaled, turned, and so on. */
export function mapBoxes(lines: OcrLine[], box: (b: BBox) => BBox): OcrLine[] {
  return lines.map((line) => ({ ...line, bbox: box(line.bbox), words: line.words.map((w) => ({ ...w, bbox: box(w.bbox) })) }));
}

/** One text line, in Tesseract's reading order. */
export interface OcrLine {
  /** The line's words joined by spaces, without the trailing newline. */
  text: string;
  /** Tesseract's confidence for the line, 0–100. */
  confidence: number;
  bbox: BBox;
  words: OcrWord[];
}

/** The OCR result of one page image. */
export interface OcrPage {
  /** Width of the image as OCRed, in pixels; bounding boxes refer to it. */
  width: number;
  /** Height of the image as OCRed, in pixels. */
  height: number;
  /** Tesseract's plain-text output: lines separated by `\n`, blocks by a blank line. */
  text: string;
  /** Tesseract's mean word confidence for the page, 0–100; 0 when nothing was found. */
  confidence: number;
  /** Every line of every block and paragraph, top to bottom as Tesseract ordered them. */
  lines: OcrLine[];
}

/** An OCR result before the pool adds the image size. */
export type RecognizedText = Omit<OcrPage, 'width' | 'height'>;

/** Full-width rows of a page image, cut out as an image of their own. */
export interface ImageBand {
  /** The page row the band starts at. */
  top: number;
  image: Buffer;
}

/** A page image, or the bands it was cut into (read each on an engine of its own, at the same time). */
export interface BandedImage {
  /** Null when the page is given as bands. */
  image: Buffer | null;
  bands: ImageBand[];
}

/**
 * Tesseract page segmentation modes usable here. 0, 1, 2 and 12 are missing on
 * purpose: they need orientation data (osd.traineddata) or skip recognition.
 * 3 = automatic layout (multi-column pages), 4 = one column of variable sizes,
 * 6 = one uniform block (receipts, forms), 7 = one line, 11 = sparse text.
 */
export type OcrPageSegMode = 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 13;

/** Which LSTM model tesseract.js loads: Tesseract's tessdata_fast (shipped in `models/`) or `@tesseract.js-data/eng`'s 4.0.0_best_int. */
export type OcrModel = 'fast' | 'best_int';

/** `tesseractjs`: wasm in worker threads, no system package needed; `native`: the `tesseract` binary on PATH. */
export type OcrEngineKind = 'tesseractjs' | 'native';

/** How {@link OcrPool.create} sets up its engines. */
export interface OcrPoolOptions {
  /** Number of engines (tesseract.js worker threads, or native processes at a time), created once and reused. At least 1. */
  size: number;
  /**
   * Default `tesseractjs`. `native` runs the installed `tesseract` binary with
   * its own model (`langPath` and `model` do not apply); text pools only.
   */
  engine?: OcrEngineKind;
  /** tesseract.js's model when `langPath` is not given. Default `fast`. */
  model?: OcrModel;
  /** Tesseract language codes the engines read unless a call asks for others. Default `['eng']`. */
  languages?: string[];
  /**
   * Every language a call may ask for (`languages` always may), checked to be
   * installed when the pool starts. Default: `languages`.
   */
  installed?: string[];
  /**
   * Folder holding `<lang>.traineddata.gz` for every language. Default: the
   * files `languageFile` finds for `model`, linked into one temporary folder.
   * Never a URL: the service must not fetch models at run time.
   */
  langPath?: string;
  /** Page segmentation mode. Default 6 (one uniform block of text). */
  psm?: OcrPageSegMode;
  /** Longest a single recognition may run before its engine is killed. Default 120000 ms. */
  recognizeTimeoutMs?: number;
  /** Jobs an engine runs before it is replaced, bounding wasm heap growth. Default 100. */
  recycleAfter?: number;
  /**
   * An engine that has recognised an image of more pixels than this is replaced
   * after that call: its wasm memory grew to fit the image and is only given
   * back when its thread ends. Measured: idle 305 MB RSS with one engine, 421 MB
   * after an 8.7 MP page (A4 at 300 dpi), 481 MB after 12 MP. Default: never.
   */
  recycleAbovePixels?: number;
  /**
   * After a call, the engine that ran it is also replaced when the process's
   * RSS exceeds this many bytes (the engine that just finished is the one most
   * likely to have grown). Default: never.
   */
  recycleAboveRssBytes?: number;
  /** `orientation`: engines for {@link OcrPool.detectOrientation} (the `osd` model; tesseract.js's on its legacy core). Default `text`. */
  purpose?: 'text' | 'orientation';
  /** Longest the creation of one engine may take. Default 30000 ms. */
  createTimeoutMs?: number;
  /**
   * Called each time an engine is replaced, with the reason; for metrics, so
   * the pool itself depends on no metrics library. Not called at `close()`.
   */
  onRecycle?: (reason: RecycleReason) => void;
}

/**
 * Why an engine was replaced: it ran `recycleAfter` jobs (`jobs`), OCRed an
 * image over `recycleAbovePixels` (`pixels`), finished while RSS was over
 * `recycleAboveRssBytes` (`rss`), its call timed out (`timeout`) or was aborted
 * (`aborted`, e.g. a page found to be turned), its call failed (`failure`), its
 * thread died while idle (`died`), or a call needed other languages (`languages`).
 */
export type RecycleReason = 'jobs' | 'pixels' | 'rss' | 'timeout' | 'aborted' | 'failure' | 'died' | 'languages';

/** Per-call options of {@link OcrPool.recognize}. */
export interface RecognizeOptions {
  /**
   * Cancels the call: while queued it just leaves the queue; while running, the
   * engine doing the work is terminated (that is what stops the CPU work) and
   * replaced. The call rejects with the signal's reason (an `AbortError`
   * DOMException unless the caller gave another).
   */
  signal?: AbortSignal;
  /** Tesseract language codes to read with, in order of preference; the pool's `languages` when absent. */
  languages?: string[];
}

/**
 * How a page goes to the OCR engine: a PNG, stored (zlib level 0) when its
 * pixels take at most {@link STORED_PNG_BYTES}, compressed at level 1 when
 * more. Stored, the engine reads it back as fast as raw pixels: over the 16
 * held-out SROIE receipts it took 9 ms of CPU to write and 5 ms for Leptonica
 * to read, against 28 and 14 ms at level 1 (76 ms to write at sharp's default
 * 6), at twice the size (2.7 MB a receipt instead of 1.4). A4 pages at 300 dpi
 * (8.7 MB of grey each, and as much again in the copies on their way) stored
 * raised a worker's peak by 40-75 MB over 4 pages (bench/memory), so large
 * pages stay compressed. A PNM, read by Leptonica byte by byte, took 33 ms to
 * read a receipt.
 */
export function ocrPng(pixelBytes: number): { compressionLevel: 0 | 1 } {
  return { compressionLevel: pixelBytes <= STORED_PNG_BYTES ? 0 : 1 };
}

const STORED_PNG_BYTES = 4 * 2 ** 20;
