import { crc32, deflateSync } from 'node:zlib';
import sharp, { type FormatEnum } from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { encodeBmp } from '../../test/support/images.js';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { inspectImage, prepareForOcr, type ImageLimits } from './image-decoder.js';

const LIMITS: ImageLimits = { maxPixels: 40_000_000, maxDimension: 20_000 };

interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

/** Dark text on white, RGB: what a scanned line looks like. */
async function textImage(width = 480, height = 120): Promise<Raw> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="white"/>
    <text x="20" y="${height * 0.65}" font-family="sans-serif" font-size="${height / 3}">Invoice 12345</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).flatten().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function encode(img: Raw, format: string): Promise<Buffer> {
  if (format.startsWith('bmp')) return encodeBmp(img, format.slice(4) as Parameters<typeof encodeBmp>[1]);
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  // sharp writes JPEG-compressed TIFF by default; scanners write LZW, G4 or none.
  if (format === 'tiff') return sharp(img.data, { raw }).tiff({ compression: 'lzw' }).toBuffer();
  return sharp(img.data, { raw }).toFormat(format as keyof FormatEnum).toBuffer();
}

/** Mean absolute difference of two images' grey levels, 0–255. */
async function difference(png: Buffer, expected: Raw): Promise<number> {
  const a = await sharp(png).greyscale().raw().toBuffer();
  const b = await sharp(expected.data, { raw: { width: expected.width, height: expected.height, channels: 3 } })
    .greyscale()
    .raw()
    .toBuffer();
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function rejection(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return error as DocumentError;
}

/** A PNG whose header claims any size; only a few rows of data follow. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const rows = deflateSync(Buffer.alloc(16 * (width + 1), 0xff));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('inspectImage and prepareForOcr', () => {
  it('calls only the decoder’s own refusals a corrupt file; any other error stays itself, for the queue to retry', async () => {
    const jpeg = await encode(await textImage(), 'jpeg');
    const failing = vi.spyOn(sharp.prototype, 'toBuffer');
    try {
      // What libvips says of a broken file: a plain Error.
      failing.mockRejectedValueOnce(new Error('VipsJpeg: Premature end of input file'));
      await expect(prepareForOcr(jpeg, LIMITS)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });
      // A bug (ours, or a library's): not the user's file's fault.
      failing.mockRejectedValueOnce(new TypeError("Cannot read properties of undefined (reading 'width')"));
      const bug = await prepareForOcr(jpeg, LIMITS).catch((error: unknown) => error);
      expect(bug).toBeInstanceOf(TypeError);
      expect(bug).not.toBeInstanceOf(DocumentError);
    } finally {
      failing.mockRestore();
    }
    // Undisturbed, the same file reads.
    await expect(prepareForOcr(jpeg, LIMITS)).resolves.toMatchObject({ width: 480, height: 120 });
  });

  it.each([
    ['png', 'image/png', 0],
    ['tiff', 'image/tiff', 0],
    ['bmp-24', 'image/bmp', 0],
    ['bmp-32-bitfields', 'image/bmp', 0],
    ['bmp-8-palette', 'image/bmp', 0],
    ['bmp-16-565', 'image/bmp', 4],
    ['bmp-1-palette', 'image/bmp', 40],
    ['gif', 'image/gif', 3],
    ['jpeg', 'image/jpeg', 3],
    ['webp', 'image/webp', 3],
  ])('reads %s and hands the same pixels to OCR as PNG', async (format, mediaType, tolerance) => {
    const img = await textImage();
    const buf = await encode(img, format);

    await expect(inspectImage(buf, LIMITS)).resolves.toEqual({ mediaType, width: 480, height: 120, pages: 1 });
    const prepared = await prepareForOcr(buf, LIMITS);
    expect(prepared.image!.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([prepared.width, prepared.height]).toEqual([480, 120]);
    expect(await difference(prepared.image!, img)).toBeLessThanOrEqual(tolerance);
  });

  it('applies the EXIF orientation, so the OCR sees the page upright', async () => {
    const img = await textImage(480, 120);
    // Stored turned 90° anticlockwise with Orientation 6 ("rotate 90° clockwise to view"),
    // which is how a phone held in portrait writes a landscape shot.
    const stored = await sharp(img.data, { raw: { width: 480, height: 120, channels: 3 } }).rotate(-90).raw().toBuffer();
    const jpeg = await sharp(stored, { raw: { width: 120, height: 480, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);

    await expect(inspectImage(jpeg, LIMITS)).resolves.toMatchObject({ width: 480, height: 120 });
    const prepared = await prepareForOcr(jpeg, LIMITS);
    expect([prepared.width, prepared.height]).toEqual([480, 120]);
    expect(await difference(prepared.image!, img)).toBeLessThan(3);
  });

  it('flattens transparency onto white', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><text x="5" y="40" font-size="30">Hi</text></svg>';
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    const prepared = await prepareForOcr(png, LIMITS);
    const { data } = await sharp(prepared.image!).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(-3)]).toEqual([255, 255, 255]); // bottom-right corner was transparent
  });

  it('keeps a grey image grey, transparent or not, in one piece or in bands (Tesseract holds RGB at 32 bits a pixel)', async () => {
    const img = await textImage();
    const grey = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(grey.info.channels).toBe(1);
    const raw = { raw: { width: img.width, height: img.height, channels: 1 as const } };
    const jpeg = await sharp(grey.data, raw).toColourspace('b-w').jpeg().toBuffer();
    const withAlpha = await sharp(grey.data, raw).joinChannel(Buffer.alloc(img.width * img.height, 255), raw).toColourspace('b-w').png().toBuffer();
    expect([(await sharp(jpeg).metadata()).channels, (await sharp(withAlpha).metadata()).channels]).toEqual([1, 2]);
    for (const source of [jpeg, withAlpha]) {
      const whole = await prepareForOcr(source, LIMITS);
      expect((await sharp(whole.image!).metadata()).channels).toBe(1);
      const banded = await prepareForOcr(source, LIMITS, { deskew: true, bands: 2 });
      for (const image of banded.image ? [banded.image] : banded.bands.map((band) => band.image)) expect((await sharp(image).metadata()).channels).toBe(1);
    }
    const colour = await prepareForOcr(await encode(img, 'png'), LIMITS);
    expect((await sharp(colour.image!).metadata()).channels).toBe(3);
  });

  it('reads only the first frame of an animated GIF and counts the frames', async () => {
    const frame = (await textImage(200, 60)).data;
    const raw = { width: 200, height: 60, channels: 3 as const };
    const frames = await Promise.all([frame, Buffer.alloc(frame.length)].map((f) => sharp(f, { raw }).png().toBuffer()));
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();

    await expect(inspectImage(gif, LIMITS)).resolves.toEqual({ mediaType: 'image/gif', width: 200, height: 60, pages: 2 });
    const prepared = await prepareForOcr(gif, LIMITS);
    expect([prepared.width, prepared.height]).toEqual([200, 60]);
  });

  it('refuses a truncated PNG as corrupt, at upload and in the worker', async () => {
    const png = await encode(await textImage(), 'png');
    const truncated = png.subarray(0, Math.floor(png.length * 0.6));
    expect((await rejection(inspectImage(truncated, LIMITS))).code).toBe(ErrorCode.CORRUPT_FILE);
    expect((await rejection(prepareForOcr(truncated, LIMITS))).code).toBe(ErrorCode.CORRUPT_FILE);
  });

  it('keeps the source resolution in the PNG it makes', async () => {
    const img = await textImage();
    const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).withDensity(150).jpeg().toBuffer();
    const prepared = await prepareForOcr(jpeg, LIMITS, { deskew: true });
    expect((await sharp(prepared.image!).metadata()).density).toBe(150);
  });

  it('refuses a truncated BMP as corrupt', async () => {
    const bmp = await encode(await textImage(), 'bmp-24');
    const error = await rejection(inspectImage(bmp.subarray(0, bmp.length - 1000), LIMITS));
    expect(error.code).toBe(ErrorCode.CORRUPT_FILE);
  });

  it.each([
    ['plain text', Buffer.from('Invoice 12345\nTotal 42.00\n')],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
    ['a PDF', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n')],
  ])('refuses %s as an unsupported media type', async (_name, buf) => {
    expect((await rejection(inspectImage(buf, LIMITS))).code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    expect((await rejection(prepareForOcr(buf, LIMITS))).code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('refuses a compressed (RLE8) BMP as unsupported', async () => {
    const bmp = encodeBmp(await textImage(), '8-palette');
    bmp.writeUInt32LE(1, 30);
    expect((await rejection(inspectImage(bmp, LIMITS))).code).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('refuses a PNG whose header claims 40000x40000 without decoding it', async () => {
    const bomb = pngClaiming(40_000, 40_000);
    expect(bomb.length).toBeLessThan(2000);
    for (const check of [inspectImage, prepareForOcr]) {
      expect((await rejection(check(bomb, LIMITS))).code).toBe(ErrorCode.IMAGE_TOO_LARGE);
    }
  });

  it('refuses a BMP header claiming 3,000,000 x 2,000,000 pixels before allocating', async () => {
    const bmp = encodeBmp(await textImage(8, 8), '24');
    bmp.writeInt32LE(3_000_000, 18);
    bmp.writeInt32LE(2_000_000, 22);
    expect((await rejection(prepareForOcr(bmp, LIMITS))).code).toBe(ErrorCode.IMAGE_TOO_LARGE);
  });

  it('enforces the side limit on images under the pixel limit', async () => {
    const wide = await sharp({ create: { width: 3000, height: 10, channels: 3, background: '#fff' } }).png().toBuffer();
    const limits = { maxPixels: 1_000_000, maxDimension: 2000 };
    expect((await rejection(inspectImage(wide, limits))).code).toBe(ErrorCode.IMAGE_TOO_LARGE);
    expect((await rejection(prepareForOcr(wide, limits))).code).toBe(ErrorCode.IMAGE_TOO_LARGE);
    await expect(inspectImage(wide, { maxPixels: 1_000_000, maxDimension: 3000 })).resolves.toMatchObject({ width: 3000 });
  });
});
