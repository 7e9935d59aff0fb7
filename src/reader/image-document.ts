import sharp from 'sharp';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import type { ImageMediaType } from './media-type.js';
import type { ReaderOptions } from './document-types.js';
import { prepareForOcr } from './image-decoder.js';
import type { OpenDocument } from './open-document.js';

/**
 * An uploaded image as a document: every page of a TIFF, the first frame of
 * anything else. Each page is decoded (within the image caps), turned by its
 * EXIF or TIFF orientation and right-sized for OCR when it is asked for.
 */
export async function openImage(data: Buffer, mediaType: ImageMediaType, options: ReaderOptions): Promise<OpenDocument> {
  let pageCount = 1;
  if (mediaType === 'image/tiff') {
    // The page directory only; each page's own size is checked when it is read.
    const meta = await sharp(data, { limitInputPixels: false }).metadata().catch(() => {
      throw new DocumentError(ErrorCode.CORRUPT_FILE, 'The TIFF image cannot be decoded.');
    });
    pageCount = meta.pages ?? 1;
  }
  return {
    mediaType,
    pageCount,
    page: async (number, bands) => {
      const prepared = await prepareForOcr(data, options.image, {
        page: number - 1,
        maxPixels: options.ocrMaxPixels,
        deskew: options.deskew,
        bands,
      });
      return {
        kind: 'image',
        number,
        image: prepared.image,
        imageWidth: prepared.width,
        imageHeight: prepared.height,
        width: prepared.sourceWidth,
        height: prepared.sourceHeight,
        skew: prepared.skew,
        bands: prepared.bands,
      };
    },
    close: async () => undefined,
  };
}
