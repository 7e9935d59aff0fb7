import { crc32 } from 'node:zlib';

/** Largest file checked on the event loop (CRCs at about 1 GB/s: a few ms); larger PNGs go to libvips' threads. */
const MAX_INLINE_BYTES = 4 * 1024 * 1024;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bit depths each colour type allows (PNG 1.2 §11.2.2). */
const DEPTHS = new Map<number, number[]>([
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
]);

/** Size of the image its IHDR declares; undefined when `buf` does not start like a PNG. */
export function pngSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE) || buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/**
 * True when `buf` is a complete, plain PNG: a valid IHDR, every chunk whole
 * with its CRC right, one run of IDAT chunks, a palette where one is needed,
 * through IEND. That catches a cut upload and damaged bytes (a CRC-32 misses
 * no burst of up to 32 bits) in microseconds, where a libvips decode took
 * 2-6 ms of CPU per page. What it cannot catch, compressed pixel data that is
 * wrong under correct CRCs, takes a broken encoder or a crafted file; the
 * worker decodes every page and fails such a job with `CORRUPT_FILE`.
 *
 * False means "not proven", never "broken": anything unusual (animation,
 * EXIF orientation, a damaged or cut chunk, a large file) is left to libvips
 * to judge, so that every file refused at upload before is refused the same way.
 */
export function isWholePng(buf: Buffer): boolean {
  const size = pngSize(buf);
  if (!size || buf.length > MAX_INLINE_BYTES || buf.readUInt32BE(8) !== 13) return false;
  const [depth, colourType, compression, filter, interlace] = buf.subarray(24, 29);
  if (!DEPTHS.get(colourType)?.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1) return false;
  if (size.width === 0 || size.height === 0) return false;

  let idat = 0;
  let palette = false;
  let previous = '';
  for (let at = 8; previous !== 'IEND'; ) {
    if (at + 12 > buf.length) return false;
    const end = at + 12 + buf.readUInt32BE(at);
    if (end > buf.length || buf.readUInt32BE(end - 4) !== crc32(buf.subarray(at + 4, end - 4)) >>> 0) return false;
    const type = buf.toString('latin1', at + 4, at + 8);
    if (type === 'acTL' || type === 'eXIf') return false; // animation, orientation: libvips' to interpret
    if (type === 'IDAT') {
      if (idat > 0 && previous !== 'IDAT') return false; // IDAT chunks must follow one another
      idat++;
    }
    if (type === 'PLTE') palette = true;
    previous = type;
    at = end;
  }
  return idat > 0 && (colourType !== 3 || palette);
}
