import sharp from 'sharp';
import { OCR_PNG, type Rotation } from './ocr-types.js';

/**
 * The page scaled down to at most `maxPixels` for orientation detection (a
 * PNG), or the page itself when it is that small already: the orientation
 * engine needs far fewer pixels than OCR, and its heap stays small.
 */
export async function orientationSample(image: Buffer, maxPixels: number): Promise<Buffer> {
  const { width, height } = await sharp(image).metadata();
  const scale = Math.min(1, Math.sqrt(maxPixels / (width * height)));
  return scale < 1 ? sharp(image).resize({ width: Math.round(width * scale) }).png(OCR_PNG).toBuffer() : image;
}

/** The page turned `rotation` degrees clockwise, as a PNG. */
export function rotated(image: Buffer, rotation: Rotation): Promise<Buffer> {
  return sharp(image).rotate(rotation).png(OCR_PNG).toBuffer();
}
