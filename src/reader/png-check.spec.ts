import { crc32 } from 'node:zlib';
import sharp, { type PngOptions } from 'sharp';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../common/app-error.js';
import { inspectImage, prepareForOcr } from './image-decoder.js';
import { isWholePng } from './png-check.js';

const LIMITS = { maxPixels: 40_000_000, maxDimension: 20_000 };

/** A page of noise, so the compressed stream is not trivially small. */
function noise(width: number, height: number, channels: 1 | 3 | 4): Buffer {
  const pixels = Buffer.alloc(width * height * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 251;
  return pixels;
}

const png = (options: PngOptions = {}, channels: 1 | 3 | 4 = 3, width = 120, height = 50) =>
  sharp(noise(width, height, channels), { raw: { width, height, channels } }).png(options).toBuffer();

/** Chunks as [offset, type, data length]. */
function chunks(buf: Buffer): [number, string, number][] {
  const out: [number, string, number][] = [];
  for (let at = 8; at + 12 <= buf.length; at += 12 + buf.readUInt32BE(at)) out.push([at, buf.toString('latin1', at + 4, at + 8), buf.readUInt32BE(at)]);
  return out;
}

/** Replaces the data of the first IDAT (the image has one) and fixes its length and CRC. */
function withIdat(buf: Buffer, data: Buffer): Buffer {
  const [at, , length] = chunks(buf).find(([, type]) => type === 'IDAT')!;
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('IDAT', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return Buffer.concat([buf.subarray(0, at), chunk, buf.subarray(at + 12 + length)]);
}

describe('isWholePng', () => {
  it.each([
    ['RGB', {}, 3],
    ['grey', {}, 1],
    ['RGBA', {}, 4],
    ['palette', { palette: true }, 3],
    ['16-bit', {}, 3],
    ['interlaced', { progressive: true }, 3],
    ['stored, no compression', { compressionLevel: 0 }, 3],
  ] as const)('accepts a whole %s PNG, and inspectImage reports what libvips reads', async (_name, options, channels) => {
    let image = sharp(noise(97, 41, channels), { raw: { width: 97, height: 41, channels } });
    if (_name === '16-bit') image = image.toColourspace('rgb16');
    const buf = await image.png(options).toBuffer();
    expect(isWholePng(buf)).toBe(true);
    const meta = await sharp(buf).metadata();
    await expect(inspectImage(buf, LIMITS)).resolves.toEqual({ mediaType: 'image/png', width: meta.width, height: meta.height, pages: 1 });
  });

  it('leaves a PNG cut anywhere to libvips, which refuses it as corrupt when pixels are missing', async () => {
    const buf = await png();
    for (const keep of [0.3, 0.6, 0.95]) {
      const cut = buf.subarray(0, Math.floor(buf.length * keep));
      expect(isWholePng(cut)).toBe(false);
      await expect(inspectImage(cut, LIMITS)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });
    }
    expect(isWholePng(buf.subarray(0, buf.length - 6))).toBe(false); // IEND cut: libvips decides
  });

  it('leaves a flipped bit to libvips; a stream wrong under correct CRCs passes upload and fails in the worker', async () => {
    const buf = await png();
    const [at, , length] = chunks(buf).find(([, type]) => type === 'IDAT')!;
    const flipped = Buffer.from(buf);
    flipped[at + 20] ^= 0x10;
    expect(isWholePng(flipped)).toBe(false);
    await expect(inspectImage(flipped, LIMITS)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });

    // Only a broken encoder or a crafted file writes this: the worker's decode refuses it.
    const stream = Buffer.from(buf.subarray(at + 8, at + 8 + length));
    stream[Math.floor(stream.length / 2)] ^= 0xff;
    const crafted = withIdat(buf, stream);
    expect(isWholePng(crafted)).toBe(true);
    await expect(inspectImage(crafted, LIMITS)).resolves.toMatchObject({ mediaType: 'image/png' });
    await expect(prepareForOcr(crafted, LIMITS)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });
  });

  it('leaves a palette image without its palette, and chunks out of order, to libvips', async () => {
    const buf = await png({ palette: true });
    const [at, , length] = chunks(buf).find(([, type]) => type === 'PLTE')!;
    expect(isWholePng(Buffer.concat([buf.subarray(0, at), buf.subarray(at + 12 + length)]))).toBe(false);
    const idat = chunks(buf).find(([, type]) => type === 'IDAT')!;
    const tEXt = Buffer.alloc(12 + 4);
    tEXt.writeUInt32BE(4, 0);
    tEXt.write('tEXta\0bc', 4, 'latin1');
    tEXt.writeUInt32BE(crc32(tEXt.subarray(4, 12)) >>> 0, 12);
    const split = withIdat(buf, buf.subarray(idat[0] + 8, idat[0] + 8 + idat[2]));
    expect(isWholePng(split)).toBe(true);
    const end = chunks(split).find(([, type]) => type === 'IEND')![0];
    // IDAT, tEXt, IDAT: the second run of pixel data is not allowed.
    const emptyIdat = Buffer.from([0, 0, 0, 0, 0x49, 0x44, 0x41, 0x54, 0x35, 0xaf, 0x06, 0x1e]);
    expect(isWholePng(Buffer.concat([split.subarray(0, end), tEXt, emptyIdat, split.subarray(end)]))).toBe(false);
  });

  it('leaves large files to libvips rather than checking them on the event loop', async () => {
    const large = await sharp(noise(1500, 1000, 3), { raw: { width: 1500, height: 1000, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(isWholePng(large)).toBe(false);
    await expect(inspectImage(large, LIMITS)).resolves.toMatchObject({ width: 1500, height: 1000 });
  });
});
