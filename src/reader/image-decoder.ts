import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { assertBmpComplete, decodeBmp, readBmpHeader, type BmpHeader, type DecodedBmp } from './bmp-decoder.js';
import { sniffImageType, type ImageMediaType } from './media-type.js';
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

/** The image handed to the OCR engine, with the size its bounding boxes refer to. */
export interface PreparedImage {
  /** PNG bytes, orientation applied, transparency flattened onto white. */
  image: Buffer;
  width: number;
  height: number;
  /** Size of the decoded page after orientation, before any scaling down. */
  sourceWidth: number;
  sourceHeight: number;
}

/** Which page to prepare, and how large the result may be. */
export interface PrepareOptions {
  /** 0-based page of a multi-page TIFF. Default 0. */
  page?: number;
  /** Scale the page down (aspect kept) to at most this many pixels. Default: no scaling. */
  maxPixels?: number;
}

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

/** Turns a sharp/libvips failure into the error the client should see. */
function toDocumentError(err: unknown, mediaType: ImageMediaType): Error {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
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
 * PNG at zlib level 1: lossless, and over the 25 SROIE receipts it took 28 ms
 * median against 76 ms at sharp's default level 6, with the same OCR time.
 * Uncompressed TIFF was faster still to write (12 ms) but 3 MB instead of 1 MB
 * per receipt (26 MB for an A4 page) copied into the engine's wasm heap, which
 * never shrinks. Greyscale + normalise was measured and left out: 9 receipts
 * better, 9 worse (mean CER 16.2 % -> 15.1 %), FUNSD forms 10 better, 10 worse
 * (35.0 % -> 36.4 %), at 8-16 % more time.
 *
 * @returns the PNG and its size; OCR bounding boxes are in these pixels.
 * @throws DocumentError UNSUPPORTED_MEDIA_TYPE, CORRUPT_FILE or IMAGE_TOO_LARGE.
 */
export async function prepareForOcr(
  buf: Buffer,
  limits: ImageLimits,
  { page = 0, maxPixels }: PrepareOptions = {},
): Promise<PreparedImage> {
  assertLimits(limits);
  const mediaType = sniff(buf);
  try {
    let pipeline: Sharp;
    let width: number;
    let height: number;
    if (mediaType === 'image/bmp') {
      const bmp: DecodedBmp = decodeBmp(buf, readBmpWithin(buf, limits));
      ({ width, height } = bmp);
      pipeline = sharp(bmp.data, { raw: { width, height, channels: bmp.channels } });
    } else {
      ({ width, height } = (await readHeader(buf, limits, page)).autoOrient);
      pipeline = sharp(buf, sharpOptions(limits, page)).rotate();
    }
    const scale = maxPixels && width * height > maxPixels ? Math.sqrt(maxPixels / (width * height)) : 1;
    if (scale < 1) pipeline = pipeline.resize({ width: Math.floor(width * scale), height: Math.floor(height * scale), fit: 'fill' });
    const { data, info } = await pipeline
      .flatten({ background: '#ffffff' })
      .png({ compressionLevel: 1 })
      .toBuffer({ resolveWithObject: true });
    return { image: data, width: info.width, height: info.height, sourceWidth: width, sourceHeight: height };
  } catch (err) {
    throw toDocumentError(err, mediaType);
  }
}
