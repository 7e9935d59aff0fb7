import { DocumentError, ErrorCode } from '../common/app-error.js';

// sharp's prebuilt libvips has no BMP loader (it answers "unsupported image
// format"), and tesseract.js would decode BMP with bmp-js only after the bytes
// reach the OCR engine, without a size check of ours. Uncompressed BMP is simple
// enough to decode here, which lets the size caps run on the header before any
// pixel buffer exists. RLE/JPEG/PNG-compressed BMPs are rare and refused.

/** What {@link readBmpHeader} learned from the file and info headers. */
export interface BmpHeader {
  width: number;
  height: number;
  /** Rows are stored top row first (negative height in the header). */
  topDown: boolean;
  bitsPerPixel: number;
  /** Byte offset of the first pixel row. */
  pixelOffset: number;
  /** Bytes per stored row, including padding to 4 bytes. */
  stride: number;
  /** RGB triples for 1, 4 and 8 bits per pixel. */
  palette: Uint8Array;
  /** Red, green, blue bit masks for 16 and 32 bits per pixel. */
  masks: readonly [number, number, number];
}

/** Raw RGB pixels, top row first, 3 bytes per pixel. */
export interface DecodedBmp {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function corrupt(message: string): DocumentError {
  return new DocumentError(ErrorCode.CORRUPT_FILE, message);
}

/**
 * Parses and validates a BMP's headers without touching the pixel data.
 * Call it, check `width`/`height` against the caps, then {@link decodeBmp}.
 *
 * @throws DocumentError CORRUPT_FILE for malformed or truncated headers,
 *   UNSUPPORTED_MEDIA_TYPE for compressed variants.
 */
export function readBmpHeader(buf: Buffer): BmpHeader {
  if (buf.length < 26) throw corrupt('The BMP header is truncated.');
  const pixelOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  const core = dibSize === 12;
  if (!core && (dibSize < 40 || buf.length < 14 + 40)) throw corrupt('The BMP header is truncated.');

  const width = core ? buf.readUInt16LE(18) : buf.readInt32LE(18);
  const rawHeight = core ? buf.readUInt16LE(20) : buf.readInt32LE(22);
  const planes = core ? buf.readUInt16LE(22) : buf.readUInt16LE(26);
  const bitsPerPixel = core ? buf.readUInt16LE(24) : buf.readUInt16LE(28);
  const compression = core ? BI_RGB : buf.readUInt32LE(30);
  const height = Math.abs(rawHeight);

  if (width <= 0 || height === 0) throw corrupt(`The BMP claims ${width}x${height} pixels.`);
  if (planes !== 1 || ![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) {
    throw corrupt(`The BMP has ${planes} planes of ${bitsPerPixel} bits per pixel.`);
  }
  const bitfields = compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS;
  // OS/2 2.x headers (64 bytes) reuse compression 3 for Huffman coding.
  if ((compression !== BI_RGB && !bitfields) || (bitfields && dibSize === 64)) {
    throw new DocumentError(
      ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      'Compressed BMP files are not supported; send PNG, TIFF or an uncompressed BMP.',
    );
  }
  if (bitfields && bitsPerPixel !== 16 && bitsPerPixel !== 32) {
    throw corrupt('The BMP uses bit fields with a pixel size other than 16 or 32 bits.');
  }

  let masks: [number, number, number] =
    bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  // The masks sit at byte 54 both when they follow a 40-byte header and when
  // they are part of a larger (V2 and later) header.
  if (bitfields) {
    if (buf.length < 66) throw corrupt('The BMP colour masks are truncated.');
    masks = [buf.readUInt32LE(54), buf.readUInt32LE(58), buf.readUInt32LE(62)];
  }

  let palette = new Uint8Array(0);
  if (bitsPerPixel <= 8) {
    // Palettes only come with BI_RGB here, so they start right after the header.
    const start = 14 + dibSize;
    const entrySize = core ? 3 : 4;
    const used = core ? 0 : buf.readUInt32LE(46);
    const count = Math.min(used === 0 ? 2 ** bitsPerPixel : used, 2 ** bitsPerPixel);
    if (start + count * entrySize > buf.length) throw corrupt('The BMP palette is truncated.');
    palette = new Uint8Array(256 * 3); // indexes past the palette read as black
    for (let i = 0; i < count; i++) {
      const at = start + i * entrySize;
      palette[i * 3] = buf[at + 2];
      palette[i * 3 + 1] = buf[at + 1];
      palette[i * 3 + 2] = buf[at];
    }
  }

  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  if (pixelOffset < 14 + dibSize) throw corrupt('The BMP pixel data overlaps its header.');
  return { width, height, topDown: rawHeight < 0, bitsPerPixel, pixelOffset, stride, palette, masks };
}

/**
 * Checks that every pixel row is present. For an uncompressed BMP that is all
 * there is to validate, since any byte values are valid pixels; so the upload
 * path can accept a BMP without decoding it on the event loop.
 *
 * Separate from readBmpHeader so that a header claiming a huge size is
 * reported by the caller's size cap, not as truncated.
 *
 * @throws DocumentError CORRUPT_FILE when the pixel data is cut short.
 */
export function assertBmpComplete(buf: Buffer, header: BmpHeader): void {
  // Some writers drop the padding of the last row; accept that, nothing shorter.
  const lastRow = Math.ceil((header.bitsPerPixel * header.width) / 8);
  if (buf.length < header.pixelOffset + header.stride * (header.height - 1) + lastRow) {
    throw corrupt('The BMP pixel data is truncated.');
  }
}

/** Shift and scale that turn a masked channel into 0..255. */
function channelOf(mask: number): { shift: number; scale: number } {
  if (mask === 0) return { shift: 0, scale: 0 };
  const shift = 31 - Math.clz32(mask & -mask);
  const max = mask >>> shift;
  return { shift, scale: 255 / max };
}

/**
 * Decodes the pixels described by `header` into RGB; check the size caps
 * first, this allocates width × height × 3 bytes. Alpha is ignored: many
 * writers leave a 32-bit BMP's fourth byte at zero, which would read as
 * "transparent everywhere".
 *
 * @throws DocumentError CORRUPT_FILE when the pixel data is truncated.
 */
export function decodeBmp(buf: Buffer, header: BmpHeader): DecodedBmp {
  const { width, height, bitsPerPixel: bpp, stride, palette } = header;
  assertBmpComplete(buf, header);
  const out = Buffer.alloc(width * height * 3);
  const channels = header.masks.map((m) => channelOf(m >>> 0));

  for (let y = 0; y < height; y++) {
    const row = header.pixelOffset + (header.topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (bpp === 24) {
        out[o] = buf[row + x * 3 + 2];
        out[o + 1] = buf[row + x * 3 + 1];
        out[o + 2] = buf[row + x * 3];
      } else if (bpp === 16 || bpp === 32) {
        const v = bpp === 16 ? buf.readUInt16LE(row + x * 2) : buf.readUInt32LE(row + x * 4);
        for (let c = 0; c < 3; c++) {
          const { shift, scale } = channels[c];
          out[o + c] = Math.round((((v & header.masks[c]) >>> 0) >>> shift) * scale);
        }
      } else {
        const perByte = 8 / bpp;
        const byte = buf[row + Math.floor(x / perByte)];
        const index = (byte >> (8 - bpp * ((x % perByte) + 1))) & ((1 << bpp) - 1);
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
      }
    }
  }
  return { data: out, width, height, channels: 3 };
}
