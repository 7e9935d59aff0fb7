import sharp from 'sharp';

/**
 * Renders lines of text as a clean black-on-white PNG, the way a scanner at
 * about 300 dpi would see 12-point type. Fixtures are made, not committed.
 */
export async function textImage(lines: string[], { width = 1400 } = {}): Promise<Buffer> {
  const lineHeight = 80;
  const height = lineHeight * lines.length + 120;
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const text = lines
    .map((line, i) => `<text x="60" y="${100 + i * lineHeight}">${escape(line)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="white"/>
    <g font-family="DejaVu Sans, sans-serif" font-size="48" fill="black">${text}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** `lines` on a page the size of A4 at 300 dpi (2480 x 3508 pixels), as a PNG without alpha. */
export async function a4Image(lines: string[]): Promise<Buffer> {
  return sharp(await textImage(lines, { width: 2480 })).resize({ width: 2480, height: 3508, fit: 'fill' }).removeAlpha().png().toBuffer();
}

/** RGB pixels, 3 bytes a pixel, row after row. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** A BMP writer for the variants the service's decoder supports, so no binary is committed. */
export function encodeBmp(img: RgbImage, variant: '24' | '32-bitfields' | '16-565' | '8-palette' | '1-palette'): Buffer {
  const bpp = Number.parseInt(variant, 10);
  const bitfields = variant.includes('bitfields') || variant === '16-565';
  const paletteSize = bpp <= 8 ? 2 ** bpp : 0;
  const stride = Math.floor((bpp * img.width + 31) / 32) * 4;
  const offset = 14 + 40 + (bitfields ? 12 : 0) + paletteSize * 4;
  const buf = Buffer.alloc(offset + stride * img.height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(img.width, 18);
  // The 8-bit variant is stored top-down (negative height), the others bottom-up.
  buf.writeInt32LE(variant === '8-palette' ? -img.height : img.height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  buf.writeUInt32LE(bitfields ? 3 : 0, 30);
  const masks = variant === '16-565' ? [0xf800, 0x07e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (bitfields) masks.forEach((m, i) => buf.writeUInt32LE(m, 54 + i * 4));
  for (let i = 0; i < paletteSize; i++) {
    const v = bpp === 1 ? i * 255 : i;
    buf.writeUInt32LE((v << 16) | (v << 8) | v, 54 + i * 4);
  }
  for (let y = 0; y < img.height; y++) {
    const row = offset + (variant === '8-palette' ? y : img.height - 1 - y) * stride;
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3);
      if (bpp === 24) buf.set([b, g, r], row + x * 3);
      else if (bpp === 32) buf.writeUInt32LE((r << 16) | (g << 8) | b, row + x * 4);
      else if (bpp === 16) buf.writeUInt16LE(((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3), row + x * 2);
      else if (bpp === 8) buf[row + x] = r;
      else if (r > 127) buf[row + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return buf;
}

/** An image as an uncompressed 24-bit BMP, which sharp cannot write. */
export async function bmpOf(image: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return encodeBmp({ data, width: info.width, height: info.height }, '24');
}
