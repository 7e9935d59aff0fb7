import { crc32, inflateSync } from 'node:zlib';

/** Largest decompressed pixel stream checked on the event loop (about 2 ms to inflate); larger PNGs go to libvips. */
const MAX_INLINE_BYTES = 4 * 1024 * 1024;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Channels per colour type (PNG 1.2 §11.2.2), and the bit depths each allows. */
const COLOUR_TYPES = new Map<number, { channels: number; depths: number[] }>([
  [0, { channels: 1, depths: [1, 2, 4, 8, 16] }],
  [2, { channels: 3, depths: [8, 16] }],
  [3, { channels: 1, depths: [1, 2, 4, 8] }],
  [4, { channels: 2, depths: [8, 16] }],
  [6, { channels: 4, depths: [8, 16] }],
]);

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Size of the first IHDR's image, without looking further; undefined when `buf` does not start like a PNG. */
export function pngSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE) || buf.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/**
 * True when `buf` is a complete, plain PNG whose pixel data is intact: every
 * chunk whole with a valid CRC, through IEND; the zlib stream inflates to
 * exactly the bytes the header implies; every row has a valid filter type.
 * That is what decoding it would prove, at a fraction of the cost (no pixel
 * unfiltering, no libvips thread hop).
 *
 * False means "not proven", never "broken": anything unusual (animation, EXIF
 * orientation, a damaged or cut chunk, a large image) is left to libvips to
 * judge, so that bad files get the same verdict either way.
 */
export function isIntactPng(buf: Buffer): boolean {
  const size = pngSize(buf);
  if (!size || buf.readUInt32BE(8) !== 13) return false;
  const { width, height } = size;
  const [depth, colourType, compression, filter, interlace] = buf.subarray(24, 29);
  const colour = COLOUR_TYPES.get(colourType);
  if (!colour?.depths.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1 || width === 0 || height === 0) return false;
  const bitsPerPixel = colour.channels * depth;
  const passes = interlace === 1 ? ADAM7 : [[0, 0, 1, 1] as const];
  const rows = passes.flatMap(([x0, y0, dx, dy]) => {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    return w > 0 && h > 0 ? Array<number>(h).fill(1 + Math.ceil((w * bitsPerPixel) / 8)) : [];
  });
  const expected = rows.reduce((sum, row) => sum + row, 0);
  if (expected > MAX_INLINE_BYTES) return false;

  const idat: Buffer[] = [];
  let palette = false;
  let previous = '';
  for (let at = 8; previous !== 'IEND'; ) {
    if (at + 12 > buf.length) return false;
    const length = buf.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > buf.length || buf.readUInt32BE(end - 4) !== crc32(buf.subarray(at + 4, end - 4)) >>> 0) return false;
    const type = buf.toString('latin1', at + 4, at + 8);
    if (type === 'acTL' || type === 'eXIf') return false; // animation, orientation: libvips' to interpret
    if (type === 'IDAT') {
      if (idat.length > 0 && previous !== 'IDAT') return false; // IDAT chunks must follow one another
      idat.push(buf.subarray(at + 8, end - 4));
    }
    if (type === 'PLTE') palette = true;
    previous = type;
    at = end;
  }
  if (idat.length === 0 || (colourType === 3 && !palette)) return false;

  let pixels: Buffer;
  try {
    pixels = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: expected });
  } catch {
    return false; // a broken or oversized stream: libvips gives the verdict
  }
  if (pixels.length !== expected) return false;
  for (let at = 0, i = 0; i < rows.length; at += rows[i], i++) {
    if (pixels[at] > 4) return false;
  }
  return true;
}
