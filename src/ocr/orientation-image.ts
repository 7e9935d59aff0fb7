import sharp from 'sharp';
import { ocrPng, type Rotation } from './ocr-types.js';

/**
 * The page scaled down to at most `maxPixels` for orientation detection (a
 * PNG), or the page itself when it is that small already: the orientation
 * engine needs far fewer pixels than OCR, and its heap stays small.
 */
export async function orientationSample(image: Buffer, maxPixels: number): Promise<Buffer> {
  const { width, height } = await sharp(image).metadata();
  const scale = Math.min(1, Math.sqrt(maxPixels / (width * height)));
  return scale < 1 ? sharp(image).resize({ width: Math.round(width * scale) }).png(ocrPng(maxPixels * 3)).toBuffer() : image;
}

/** The page turned `rotation` degrees clockwise, as a PNG. */
export async function rotated(image: Buffer, rotation: Rotation): Promise<Buffer> {
  const { width, height, channels } = await sharp(image).metadata();
  return sharp(image).rotate(rotation).png(ocrPng(width * height * channels)).toBuffer();
}
