import { crc32, deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../common/app-error.js';
import { inspectImage } from './image-decoder.js';
import { isIntactPng } from './png-check.js';

const LIMITS = { maxPixels: 40_000_000, maxDimension: 20_000 };

/** A page of noise, so the compressed stream is not trivially small. */
function noise(width: number, height: number, channels: 1 | 3 | 4): Buffer {
  return Buffer.from(Array.from({ length: width * height * channels }, (_, i) => (i * 7919) % 251));
}

const png = (options: sharp.PngOptions = {}, channels: 1 | 3 | 4 = 3, width = 120, height = 50) =>
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

describe('isIntactPng', () => {
  it.each([
    ['RGB', {}, 3],
    ['grey', {}, 1],
    ['RGBA', {}, 4],
    ['palette', { palette: true }, 3],
    ['16-bit', {}, 3],
    ['interlaced', { progressive: true }, 3],
    ['stored, no compression', { compressionLevel: 0 }, 3],
  ] as const)('accepts an intact %s PNG, and inspectImage reports what libvips reads', async (_name, options, channels) => {
    let image = sharp(noise(97, 41, channels), { raw: { width: 97, height: 41, channels } });
    if (_name === '16-bit') image = image.toColourspace('rgb16');
    const buf = await image.png(options).toBuffer();
    expect(isIntactPng(buf)).toBe(true);
    const meta = await sharp(buf).metadata();
    await expect(inspectImage(buf, LIMITS)).resolves.toEqual({ mediaType: 'image/png', width: meta.width, height: meta.height, pages: 1 });
  });

  it('leaves a PNG cut anywhere to libvips, which refuses it as corrupt when pixels are missing', async () => {
    const buf = await png();
    for (const keep of [0.3, 0.6, 0.95]) {
      const cut = buf.subarray(0, Math.floor(buf.length * keep));
      expect(isIntactPng(cut)).toBe(false);
      await expect(inspectImage(cut, LIMITS)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });
    }
    expect(isIntactPng(buf.subarray(0, buf.length - 6))).toBe(false); // IEND cut: libvips decides
  });

  it('does not take a flipped bit, a broken stream with a valid CRC, short data or a bad row filter for intact', async () => {
    const buf = await png();
    const flipped = Buffer.from(buf);
    const [at] = chunks(buf).find(([, type]) => type === 'IDAT')!;
    flipped[at + 20] ^= 0x10;
    expect(isIntactPng(flipped)).toBe(false);

    const [, , length] = chunks(buf).find(([, type]) => type === 'IDAT')!;
    const stream = buf.subarray(at + 8, at + 8 + length);
    const broken = Buffer.from(stream);
    broken[Math.floor(broken.length / 2)] ^= 0xff;
    expect(isIntactPng(withIdat(buf, broken))).toBe(false);
    await expect(inspectImage(withIdat(buf, broken), LIMITS)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });

    const pixels = inflateSync(stream);
    expect(isIntactPng(withIdat(buf, deflateSync(pixels.subarray(0, pixels.length - 10))))).toBe(false);
    const badFilter = Buffer.from(pixels);
    badFilter[0] = 9;
    expect(isIntactPng(withIdat(buf, deflateSync(badFilter)))).toBe(false);
    expect(isIntactPng(withIdat(buf, deflateSync(pixels)))).toBe(true);
  });

  it('leaves large images to libvips rather than inflating them on the event loop', async () => {
    const large = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#fff' } }).png().toBuffer();
    expect(isIntactPng(large)).toBe(false);
    await expect(inspectImage(large, LIMITS)).resolves.toMatchObject({ width: 2000, height: 1500 });
  });
});
