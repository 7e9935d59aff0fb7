import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { textImage } from '../../test/support/images.js';
import { encodeForOcr, MAX_BAND_PIXELS, wholeImage, type RawImage } from './image-decoder.js';
import { measureLayout, otsu, type GreyImage } from './page-layout.js';

const LINES = Array.from({ length: 24 }, (_, i) => `Line ${i + 1}: 2 x Widget ${100 + i} at 4.50 EUR`);

async function grey(png: Buffer): Promise<GreyImage> {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function raw(png: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The page turned `degrees` clockwise about its centre on white, cut back to its own size (a slanted scan). */
async function slanted(png: Buffer, degrees: number): Promise<Buffer> {
  const { width, height } = await sharp(png).metadata();
  const turned = await sharp(png).rotate(degrees, { background: '#ffffff' }).png().toBuffer();
  const t = await sharp(turned).metadata();
  return sharp(turned)
    .extract({ left: Math.floor((t.width - width) / 2), top: Math.floor((t.height - height) / 2), width, height })
    .png()
    .toBuffer();
}

describe('measureLayout', () => {
  it('finds the tilt of a slanted page to within a tenth of a degree, either way', async () => {
    const page = await textImage(LINES);
    for (const degrees of [2, -1.5, 4]) {
      const { skew } = measureLayout(await grey(await slanted(page, degrees)), 1, { deskew: true, bands: 1 });
      expect(Math.abs(skew - degrees), `${degrees} degrees`).toBeLessThanOrEqual(0.1);
    }
  });

  it('leaves a straight page, a blank page and a photo-like page untouched', async () => {
    expect(measureLayout(await grey(await textImage(LINES)), 1, { deskew: true, bands: 1 }).skew).toBe(0);
    const blank = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#ffffff' } }).png().toBuffer();
    expect(measureLayout(await grey(blank), 1, { deskew: true, bands: 2 })).toEqual({ skew: 0, bands: [{ y0: 0, y1: 600 }] });
    // Noise has no rows to line up.
    const noise = Buffer.from(Array.from({ length: 400 * 400 }, (_, i) => ((i * 2654435761) >>> 24) & 0xff));
    expect(measureLayout({ data: noise, width: 400, height: 400 }, 1, { deskew: true, bands: 1 }).skew).toBe(0);
  });

  it('cuts a page into bands of about as many lines, at blank rows', async () => {
    const image = await grey(await textImage(LINES));
    const { bands } = measureLayout(image, 1, { deskew: false, bands: 2 });
    expect(bands).toHaveLength(2);
    expect(bands[0]!.y0).toBe(0);
    expect(bands[1]!.y1).toBe(image.height);
    const cut = bands[0]!.y1;
    expect(bands[1]!.y0).toBe(cut);
    // 24 lines 80 pixels apart from y = 100: the cut falls between lines 12 and 13, on a blank row.
    expect(cut).toBeGreaterThan(100 + 10 * 80);
    expect(cut).toBeLessThan(100 + 13 * 80);
    const threshold = otsu(image.data);
    const row = image.data.subarray(cut * image.width, (cut + 1) * image.width);
    expect(row.every((v) => v >= threshold)).toBe(true);
  });

  it('weighs lines by their width: short lines above long ones put the cut among the long ones', async () => {
    const short = Array.from({ length: 16 }, (_, i) => `Item ${i + 1}`);
    const long = Array.from({ length: 16 }, (_, i) => `${i + 1} x Widget ${100 + i} at 4.50 EUR, total ${(i + 1) * 4.5} EUR`);
    const image = await grey(await textImage([...short, ...long]));
    const { bands } = measureLayout(image, 1, { deskew: false, bands: 2 });
    expect(bands).toHaveLength(2);
    // By count the cut would fall after line 16; by width, several long lines later.
    expect(bands[0]!.y1).toBeGreaterThan(100 + 19 * 80);
    expect(bands[0]!.y1).toBeLessThan(100 + 27 * 80);
  });

  it('counts a heavy block (a barcode) as one line, not by its ink', async () => {
    const page = await textImage(LINES);
    const { width } = await sharp(page).metadata();
    const bars = Array.from({ length: 60 }, (_, i) => `<rect x="${60 + i * 20}" y="0" width="10" height="300" fill="black"/>`).join('');
    const barcode = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="300">${bars}</svg>`)).png().toBuffer();
    const withBarcode = await sharp(page).extend({ top: 400, background: '#ffffff' }).composite([{ input: barcode, top: 50, left: 0 }]).png().toBuffer();
    const image = await grey(withBarcode);
    const { bands } = measureLayout(image, 1, { deskew: false, bands: 2 });
    // 25 lines; by ink the barcode alone would outweigh half the text.
    expect(bands).toHaveLength(2);
    expect(bands[0]!.y1).toBeGreaterThan(400 + 100 + 9 * 80);
  });

  it('does not cut a page of a few lines', async () => {
    const image = await grey(await textImage(LINES.slice(0, 6)));
    expect(measureLayout(image, 1, { deskew: true, bands: 2 }).bands).toEqual([{ y0: 0, y1: image.height }]);
  });
});

describe('encodeForOcr', () => {
  it('straightens a slanted page and cuts it into band images that put the page back together', async () => {
    const page = await textImage(LINES);
    const input = await raw(await slanted(page, 2));
    const ocr = await encodeForOcr(input, { deskew: true, bands: 2 });
    expect(ocr.skew).toBeCloseTo(2, 1);
    expect([ocr.width, ocr.height]).toEqual([input.width, input.height]);
    expect(ocr.image).toBeNull(); // the bands are read instead
    expect(ocr.bands.map((b) => b.top)[0]).toBe(0);
    const heights = await Promise.all(ocr.bands.map(async (b) => (await sharp(b.image).metadata()).height));
    expect(heights.reduce((a, b) => a + b, 0)).toBe(input.height);
    expect(ocr.bands[1]!.top).toBe(heights[0]);
    // Put back together, they are the page straightened whole, pixel for pixel.
    const whole = await encodeForOcr(input, { deskew: true });
    const pixels = async (png: Buffer) => (await sharp(png).greyscale().raw().toBuffer()).toString('base64');
    expect(await pixels(await wholeImage(ocr, ocr.width, ocr.height))).toBe(await pixels(whole.image!));
  });

  it('cuts a page over MAX_BAND_PIXELS into bands even when none are asked for', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `Line ${i + 1} of an A4 page read at 300 dpi`);
    const input = await raw(await textImage(lines, { width: 2800 }));
    expect(input.width * input.height).toBeGreaterThan(MAX_BAND_PIXELS);
    const ocr = await encodeForOcr(input);
    expect(ocr.bands.length).toBe(Math.ceil((input.width * input.height) / MAX_BAND_PIXELS));
    for (const band of ocr.bands) {
      const { width, height } = await sharp(band.image).metadata();
      expect(width * height).toBeLessThanOrEqual(MAX_BAND_PIXELS);
    }
  });

  it('does nothing but encode when neither is asked for', async () => {
    const input = await raw(await slanted(await textImage(LINES), 2));
    const ocr = await encodeForOcr(input);
    expect(ocr).toMatchObject({ skew: 0, bands: [] });
    const { data } = await sharp(ocr.image!).raw().toBuffer({ resolveWithObject: true });
    expect(data.equals(input.data)).toBe(true);
  });
});
