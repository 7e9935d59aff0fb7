import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A valid PNG cut in half: the header decodes, the pixels do not. */
export async function truncatedPng(): Promise<Buffer> {
  const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#8af' } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return png.subarray(0, Math.floor(png.length / 2));
}

/**
 * A tiny PNG whose header claims `width` x `height` pixels: a decompression
 * bomb's calling card. A careful service refuses it before allocating anything.
 */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer(),
  );
  // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC follows 13 bytes later.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  return png;
}
