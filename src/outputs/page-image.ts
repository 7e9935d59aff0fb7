import { PDFHexString, PDFName, type PDFDocument, type PDFRef } from 'pdf-lib';
import sharp, { type Sharp } from 'sharp';
import { decodeBmp, readBmpHeader } from '../reader/bmp-decoder.js';
import { sniffImageType } from '../reader/media-type.js';

/** One page image embedded in the PDF, and the size it is shown at. */
export interface EmbeddedImage {
  ref: PDFRef;
  /** Pixels after EXIF/TIFF orientation: the frame OCR boxes refer to. */
  width: number;
  height: number;
  /** Resolution the page is sized at (see {@link pageDpi}). */
  dpi: number;
}

/** PDF pages may be at most 14400 units (200 inches) a side (ISO 32000, Annex C). */
const MAX_PAGE_POINTS = 14_400;
/** Tabloid/A3's long side: an image whose longer side fits in it at 72 dpi is taken as a screen image. */
const SCREEN_MAX_INCHES = 17;

/**
 * The dpi a page image is sized at. The file's own resolution when it gives
 * one a scanner would (100 dpi or more). Else 72 dpi, a screen image's, unless
 * that makes the page larger than tabloid (17 inches, 1224 pixels): such an
 * image is a scan or a photo of a page, and 72 dpi would make an A4 scan
 * (2480 × 3508) a 34 × 49 inch page that prints as a poster; 300 dpi, what
 * scanners default to, gives it back its size. 72 and 96 dpi in a file are
 * taken as unknown: libvips, browsers and Windows write them whatever the
 * image. Raised further when needed to keep the page within PDF's 200 inches.
 */
export function pageDpi(width: number, height: number, density: number | undefined): number {
  const longest = Math.max(width, height);
  let dpi = density !== undefined && density >= 100 && density <= 4800 ? density : longest <= 72 * SCREEN_MAX_INCHES ? 72 : 300;
  if ((longest * 72) / dpi > MAX_PAGE_POINTS) dpi = (longest * 72) / MAX_PAGE_POINTS;
  return dpi;
}

/**
 * Embeds page `index` (0-based: a TIFF's pages) of an image. A JPEG that needs
 * no turning goes in as it is (PDF reads JPEG natively: no loss, no growth);
 * anything else is decoded, turned upright by its EXIF/TIFF orientation,
 * flattened onto white and written as the zlib data of a PNG, which PDF's
 * FlateDecode with PNG predictors reads directly, so libvips does the
 * compression, off the event loop. A bilevel scan stays 1 bit a pixel and a
 * grey one 8 bits: they would be 8 and 3 times larger as RGB.
 */
export async function embedPageImage(pdf: PDFDocument, image: Buffer, index: number): Promise<EmbeddedImage> {
  const mediaType = sniffImageType(image);
  if (mediaType === 'image/bmp') {
    const bmp = decodeBmp(image, readBmpHeader(image));
    const png = await sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } }).png().toBuffer();
    return { ref: embedPng(pdf, png), width: bmp.width, height: bmp.height, dpi: pageDpi(bmp.width, bmp.height, undefined) };
  }
  const meta = await sharp(image, { page: index, failOn: 'error' }).metadata();
  const { width, height } = meta.autoOrient;
  const dpi = pageDpi(width, height, meta.density);
  if (mediaType === 'image/jpeg' && (meta.orientation ?? 1) === 1) {
    return { ref: (await pdf.embedJpg(image)).ref, width, height, dpi };
  }
  let pipeline: Sharp = sharp(image, { page: index, failOn: 'error' }).rotate().flatten({ background: '#ffffff' });
  const grey = meta.channels <= 2 || meta.space === 'b-w';
  if (grey) pipeline = pipeline.toColourspace('b-w');
  const png = await (meta.bitsPerSample === 1
    ? pipeline.png({ palette: true, colours: 2, dither: 0, compressionLevel: 9 })
    : pipeline.png({ compressionLevel: 9 })
  ).toBuffer();
  return { ref: embedPng(pdf, png), width, height, dpi };
}

/** A PNG's chunks as PDF wants them; see {@link embedPng}. */
interface PngParts {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  palette?: Buffer;
  data: Buffer;
}

function readPng(png: Buffer): PngParts {
  const parts: Partial<PngParts> = {};
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      Object.assign(parts, { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8], colourType: body[9] });
      if (body[12] !== 0) throw new Error('interlaced PNG: sharp writes none');
    } else if (type === 'PLTE') parts.palette = body;
    else if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  return { ...(parts as PngParts), data: Buffer.concat(idat) };
}

/**
 * An image XObject from a PNG without alpha (grey, RGB or palette), its
 * compressed data unchanged: FlateDecode with predictor 15 undoes PNG's
 * per-row filters.
 */
function embedPng(pdf: PDFDocument, png: Buffer): PDFRef {
  const { width, height, bitDepth, colourType, palette, data } = readPng(png);
  const colours = colourType === 2 ? 3 : 1;
  const colourSpace =
    colourType === 3 && palette
      ? [PDFName.of('Indexed'), PDFName.of('DeviceRGB'), palette.length / 3 - 1, PDFHexString.of(palette.toString('hex'))]
      : colourType === 2
        ? 'DeviceRGB'
        : 'DeviceGray';
  if (![0, 2, 3].includes(colourType)) throw new Error(`PNG colour type ${colourType}: flattened images have no alpha`);
  return pdf.context.register(
    pdf.context.stream(data, {
      Type: 'XObject',
      Subtype: 'Image',
      Width: width,
      Height: height,
      ColorSpace: colourSpace,
      BitsPerComponent: bitDepth,
      Filter: 'FlateDecode',
      DecodeParms: { Predictor: 15, Colors: colours, BitsPerComponent: bitDepth, Columns: width },
    }),
  );
}
