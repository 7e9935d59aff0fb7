import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { assertBmpComplete, decodeBmp, readBmpHeader, type BmpHeader, type DecodedBmp } from './bmp-decoder.js';
import { sniffImageType, type ImageMediaType } from './media-type.js';
import { ocrPng, type BandedImage, type ImageBand } from '../ocr/ocr-types.js';
import { measureLayout } from './page-layout.js';
import { isWholePng, pngSize } from './png-check.js';

/** Size caps applied to every image before its pixels are decoded. */
export interface ImageLimits {
  /** Largest width × height accepted, in pixels. */
  maxPixels: number;
  /** Largest width or height accepted, in pixels. */
  maxDimension: number;
}

/** What {@link inspectImage} reports about an accepted upload. */
export interface ImageInfo {
  mediaType: ImageMediaType;
  /** Width after EXIF/TIFF orientation is applied, i.e. as it will be OCRed. */
  width: number;
  /** Height after EXIF/TIFF orientation is applied. */
  height: number;
  /** Frames or pages in the file; every TIFF page is OCRed, other formats' first frame only. */
  pages: number;
}

/** A page image ready for the OCR engine: see {@link encodeForOcr}. */
export interface OcrImage {
  /**
   * PNG bytes, straightened by `skew`, same size as the page it came from;
   * null when the page is cut into bands, which are read instead
   * ({@link wholeImage} puts them back together).
   */
  image: Buffer | null;
  width: number;
  height: number;
  /**
   * Clockwise degrees the text stood tilted, straightened in `image` by turning
   * it anticlockwise about its centre; 0 when straight or not measured.
   */
  skew: number;
  /** `image` cut at blank rows into parts that may be OCRed apart, at the same time; none when it is read whole. */
  bands: ImageBand[];
}

/** The image handed to the OCR engine, with the size its bounding boxes refer to. */
export interface PreparedImage extends OcrImage {
  /** Size of the decoded page after orientation, before any scaling down. */
  sourceWidth: number;
  sourceHeight: number;
}

/** What {@link encodeForOcr} measures besides encoding. */
export interface LayoutOptions {
  /** Measure the text's tilt and straighten it. Default false. */
  deskew?: boolean;
  /**
   * Split the page into this many bands at blank rows, where they allow;
   * a page over {@link MAX_BAND_PIXELS} is cut into more. Default 1.
   */
  bands?: number;
}

/** Which page to prepare, and how large the result may be. */
export interface PrepareOptions extends LayoutOptions {
  /** 0-based page of a multi-page TIFF. Default 0. */
  page?: number;
  /** Scale the page down (aspect kept) to at most this many pixels. Default: no scaling. */
  maxPixels?: number;
}

/** Raw pixels as sharp gives and takes them. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /**
   * The source's resolution in dots per inch, written into the PNGs: Tesseract
   * sizes its reading by it when it is there and guesses from the text when
   * not. Dropping it cost the CLI 1.3 points of median CER on the receipts.
   */
  density?: number;
}

/**
 * A page with more pixels than this is cut into bands in any document: a
 * tesseract.js engine's heap grows to fit the largest image it reads and never
 * shrinks, and an A4 page at 300 dpi (8.7 MP) read whole grew each engine by
 * about 200 MB. In two bands (4.35 MP each) on two engines, 4 A4 pages took
 * 4.6 s instead of 7.8 s and peaked 40 MB lower (bench/memory).
 */
export const MAX_BAND_PIXELS = 5_000_000;

/**
 * The tilt and bands are measured on a copy shrunk by a whole factor to at
 * most this wide (a whole factor is a cheap box filter in libvips): lines of
 * text stay several pixels high (an A4 scan's 30-pixel text becomes 8), and
 * 0.05 degrees still moves a line end by half a pixel.
 */
const LAYOUT_WIDTH = 800;

const SUPPORTED = 'PNG, JPEG, TIFF, WebP, BMP or GIF';

// libvips keeps recent operations (up to 50 MB) for reuse; every page here is a
// new image, so the cache only held memory after large pages.
sharp.cache(false);

/**
 * 'error' rather than sharp's default 'warning': both reject truncated and
 * corrupt pixel data, but 'warning' also rejects JPEGs with a malformed EXIF
 * block or junk bytes in the header, which the corpus's edge set (Pillow's
 * hopper_bad_exif.jpg, junk_jpeg_header.jpg) expects to open.
 */
const FAIL_ON = 'error';

function sharpOptions(limits: ImageLimits, page = 0): SharpOptions {
  // One frame or page at a time (sharp reads the first by default): an animated
  // GIF is its first frame; a TIFF's pages are read one by one, each within the caps.
  return { failOn: FAIL_ON, limitInputPixels: limits.maxPixels, page };
}

function assertLimits(limits: ImageLimits): void {
  // limitInputPixels treats 0 as "no limit", so a zero here must not slip through.
  if (!(limits.maxPixels >= 1 && limits.maxDimension >= 1)) {
    throw new RangeError('ImageLimits.maxPixels and maxDimension must be positive');
  }
}

function checkSize(width: number, height: number, limits: ImageLimits): void {
  if (width > limits.maxDimension || height > limits.maxDimension) {
    throw new DocumentError(
      ErrorCode.IMAGE_TOO_LARGE,
      `The image is ${width}x${height} pixels; each side may be at most ${limits.maxDimension}.`,
    );
  }
  if (width * height > limits.maxPixels) {
    throw new DocumentError(
      ErrorCode.IMAGE_TOO_LARGE,
      `The image has ${width * height} pixels; at most ${limits.maxPixels} are accepted.`,
    );
  }
}

function sniff(buf: Buffer): ImageMediaType {
  const mediaType = sniffImageType(buf);
  if (!mediaType) {
    throw new DocumentError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `The file is not a ${SUPPORTED} image.`);
  }
  return mediaType;
}

/**
 * Turns a sharp/libvips refusal into the error the client should see. Only
 * those are the file's fault: sharp rejects with a plain `Error`, while a
 * `TypeError`, `RangeError` or the like comes from a bug of ours, which must
 * stay an error the queue retries and reports `INTERNAL`, not become the
 * user's "corrupt file".
 */
function toDocumentError(err: unknown, mediaType: ImageMediaType): Error {
  if (err instanceof AppError) return err;
  if (!(err instanceof Error) || err.constructor !== Error) return err instanceof Error ? err : new Error(String(err));
  const message = err.message;
  if (message.includes('exceeds pixel limit')) {
    return new DocumentError(ErrorCode.IMAGE_TOO_LARGE, 'The image has more pixels than are accepted.');
  }
  // The magic bytes matched, so "unsupported format" here means a broken file.
  return new DocumentError(ErrorCode.CORRUPT_FILE, `The ${mediaType} image cannot be decoded.`);
}

function readBmpWithin(buf: Buffer, limits: ImageLimits): BmpHeader {
  const header = readBmpHeader(buf);
  checkSize(header.width, header.height, limits);
  return header;
}

/** Reads the header (cheap, no pixel buffer) and enforces the caps on it. */
async function readHeader(buf: Buffer, limits: ImageLimits, page = 0): Promise<Metadata> {
  const meta = await sharp(buf, sharpOptions(limits, page)).metadata();
  // limitInputPixels already refused width × height; the side cap is ours.
  checkSize(meta.width, meta.height, limits);
  return meta;
}

/**
 * Validates an upload the way the worker will read it, fast enough for the
 * request path: type by magic bytes, size caps from the header before any pixel
 * buffer is allocated (a 100000×100000 PNG header is refused in about a
 * millisecond), then a full decode of the first frame so that truncated or
 * corrupt data is refused now rather than in the worker; a plain PNG is
 * checked for truncation and damage by its chunk CRCs instead ({@link isWholePng}).
 *
 * @throws DocumentError UNSUPPORTED_MEDIA_TYPE, CORRUPT_FILE or IMAGE_TOO_LARGE.
 */
export async function inspectImage(buf: Buffer, limits: ImageLimits): Promise<ImageInfo> {
  assertLimits(limits);
  const mediaType = sniff(buf);
  if (mediaType === 'image/bmp') {
    // Complete rows are all an uncompressed BMP needs to be valid; decoding it
    // in JavaScript would only block the API's event loop.
    const header = readBmpWithin(buf, limits);
    assertBmpComplete(buf, header);
    return { mediaType, width: header.width, height: header.height, pages: 1 };
  }
  if (mediaType === 'image/png') {
    const size = pngSize(buf);
    if (size) checkSize(size.width, size.height, limits);
    // The common upload, a plain PNG, is checked whole without decoding it (see isWholePng).
    if (size && isWholePng(buf)) return { mediaType, ...size, pages: 1 };
  }
  try {
    const meta = await readHeader(buf, limits);
    // Decoding through a thumbnail still reads every byte of pixel data (and
    // fails on truncation) but keeps memory small; JPEGs even decode at 1/8
    // scale. Measured on a 2481×3508 JPEG: 22 ms against 45 ms for a full raw decode.
    await sharp(buf, sharpOptions(limits))
      .resize({ width: 64, height: 64, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
    return {
      mediaType,
      width: meta.autoOrient.width,
      height: meta.autoOrient.height,
      pages: meta.pages ?? 1,
    };
  } catch (err) {
    throw toDocumentError(err, mediaType);
  }
}

/**
 * Decodes an image for OCR: the caps again (the worker does not trust the API),
 * EXIF/TIFF orientation applied, first frame or page only, transparency
 * flattened onto white (dark text on a transparent background would otherwise
 * become dark on black), encoded as PNG.
 *
 * The PNG is stored or compressed by its size (see {@link ocrPng}). Greyscale +
 * normalise was measured and left out: 9 receipts better, 9 worse (mean CER
 * 16.2 % -> 15.1 %), FUNSD forms 10 better, 10 worse (35.0 % -> 36.4 %), at
 * 8-16 % more time.
 *
 * @returns the PNG and its size; OCR bounding boxes are in these pixels.
 * @throws DocumentError UNSUPPORTED_MEDIA_TYPE, CORRUPT_FILE or IMAGE_TOO_LARGE.
 */
export async function prepareForOcr(
  buf: Buffer,
  limits: ImageLimits,
  { page = 0, maxPixels, ...layout }: PrepareOptions = {},
): Promise<PreparedImage> {
  assertLimits(limits);
  const mediaType = sniff(buf);
  try {
    let pipeline: Sharp;
    let width: number;
    let height: number;
    let density: number | undefined;
    let grey = false;
    if (mediaType === 'image/bmp') {
      const bmp: DecodedBmp = decodeBmp(buf, readBmpWithin(buf, limits));
      ({ width, height } = bmp);
      pipeline = sharp(bmp.data, { raw: { width, height, channels: bmp.channels } });
    } else {
      const header = await readHeader(buf, limits, page);
      ({ width, height } = header.autoOrient);
      density = header.density;
      grey = header.space === 'b-w' || header.space === 'grey16';
      pipeline = sharp(buf, sharpOptions(limits, page)).rotate();
    }
    const scale = maxPixels && width * height > maxPixels ? Math.sqrt(maxPixels / (width * height)) : 1;
    if (scale < 1) pipeline = pipeline.resize({ width: Math.floor(width * scale), height: Math.floor(height * scale), fit: 'fill' });
    pipeline = pipeline.flatten({ background: '#ffffff' });
    // Flattening onto white makes a grey image RGB; it stays grey (see encodeForOcr).
    if (grey) pipeline = pipeline.toColourspace('b-w');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const prepared = await encodeForOcr({ data, width: info.width, height: info.height, channels: info.channels, density }, layout);
    return { ...prepared, sourceWidth: width, sourceHeight: height };
  } catch (err) {
    throw toDocumentError(err, mediaType);
  }
}

/**
 * A page's pixels as the PNG the OCR engine reads, alpha dropped (the caller
 * has put the page on white), with its layout measured on a small greyscale
 * copy (see page-layout.ts): straightened when `deskew` finds the text tilted
 * (turned about its centre and cut back to its own size, as tesseract.js's
 * `rotateAuto` did, so boxes map back by turning them about the centre), and
 * split into bands where blank rows allow, each band a PNG of its own.
 *
 * Bands are cut here rather than read as rectangles of the whole image:
 * tesseract.js 7 read some full-width rectangles as noise (the top half of a
 * receipt, rows 0-527 of 463 x 1013, came out as words from its bottom).
 */
export async function encodeForOcr(raw: RawImage, { deskew = false, bands = 1 }: LayoutOptions = {}): Promise<OcrImage> {
  const { width, height } = raw;
  const parts = Math.max(bands, Math.ceil((width * height) / MAX_BAND_PIXELS));
  // A grey page stays grey (libvips would write it as RGB): a third of the
  // pixels to encode, and a quarter of the memory in Tesseract, which holds
  // an RGB page at 32 bits a pixel.
  const pixels = (image: RawImage) => {
    const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).removeAlpha();
    return image.channels <= 2 ? pipeline.toColourspace('b-w') : pipeline;
  };
  const png = (pipeline: Sharp, rows = height) =>
    (raw.density ? pipeline.withDensity(raw.density) : pipeline).png(ocrPng(width * rows * (raw.channels <= 2 ? 1 : 3))).toBuffer();
  if (!deskew && parts <= 1) return { image: await png(pixels(raw)), width, height, skew: 0, bands: [] };

  const factor = Math.ceil(width / LAYOUT_WIDTH);
  // Shrunk first and made grey in JavaScript: libvips's greyscale goes
  // through colour management and took 62 ms on an A4 scan, the shrink 9 ms.
  const small = await pixels(raw)
    .resize({ width: Math.max(1, Math.floor(width / factor)), height: Math.max(1, Math.floor(height / factor)), fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const grey = luma(small.data, small.info.channels);
  const layout = measureLayout({ data: grey, width: small.info.width, height: small.info.height }, small.info.height / height, { deskew, bands: parts });
  // Turned about its centre onto a larger canvas; the page is the middle of it.
  let source = raw;
  let [left, top] = [0, 0];
  if (layout.skew !== 0) {
    const turned = await pixels(raw).rotate(-layout.skew, { background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
    source = { data: turned.data, width: turned.info.width, height: turned.info.height, channels: turned.info.channels };
    [left, top] = [Math.floor((source.width - width) / 2), Math.floor((source.height - height) / 2)];
  }
  const rows = (y0: number, y1: number) => png(pixels(source).extract({ left, top: top + y0, width, height: y1 - y0 }), y1 - y0);
  if (layout.bands.length <= 1) return { image: await rows(0, height), width, height, skew: layout.skew, bands: [] };
  const bandImages = await Promise.all(layout.bands.map(({ y0, y1 }) => rows(y0, y1)));
  return { image: null, width, height, skew: layout.skew, bands: layout.bands.map(({ y0 }, i) => ({ top: y0, image: bandImages[i]! })) };
}

/**
 * A page's whole image: the one it was encoded as, or its bands (which cover
 * it row by row) put back together, for the rare page that needs it whole
 * (orientation detection, when its reading was unsure).
 */
export async function wholeImage({ image, bands }: BandedImage, width: number, height: number): Promise<Buffer> {
  if (image) return image;
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(bands.map((band) => ({ input: band.image, top: band.top, left: 0 })))
    .png(ocrPng(width * height * 3))
    .toBuffer();
}

/** One byte of brightness per pixel (Rec. 601 weights) from 1, 3 or 4 channels. */
function luma(data: Buffer, channels: number): Uint8Array {
  if (channels === 1) return data;
  const out = new Uint8Array(data.length / channels);
  for (let i = 0, j = 0; i < out.length; i++, j += channels) out[i] = (data[j]! * 77 + data[j + 1]! * 150 + data[j + 2]! * 29) >> 8;
  return out;
}
