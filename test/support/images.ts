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

/** An image as an uncompressed 24-bit BMP (bottom-up rows of BGR), which sharp cannot write. */
export async function bmpOf(image: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const stride = Math.ceil((info.width * 3) / 4) * 4;
  const bmp = Buffer.alloc(54 + stride * info.height);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(bmp.length, 2);
  bmp.writeUInt32LE(54, 10);
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(info.width, 18);
  bmp.writeInt32LE(info.height, 22);
  bmp.writeUInt16LE(1, 26);
  bmp.writeUInt16LE(24, 28);
  for (let y = 0; y < info.height; y++) {
    const row = 54 + (info.height - 1 - y) * stride;
    for (let x = 0; x < info.width; x++) {
      const from = (y * info.width + x) * info.channels;
      bmp[row + x * 3] = data[from + 2]!;
      bmp[row + x * 3 + 1] = data[from + 1]!;
      bmp[row + x * 3 + 2] = data[from]!;
    }
  }
  return bmp;
}
