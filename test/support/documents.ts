import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDeflate } from 'node:zlib';
import { concatTransformationMatrix, drawObject, PDFDocument, PDFName, popGraphicsState, pushGraphicsState, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { textImage } from './images.js';

/** A4 in PDF points. */
const A4 = { width: 595, height: 842 };

/** A born-digital PDF: each page's lines set in Helvetica, so the text layer holds them exactly. */
export async function textPdf(pages: string[][], size: { width: number; height: number } = A4): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage([size.width, size.height]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: size.height - 80 - i * 24, size: 14, font }));
  }
  return Buffer.from(await pdf.save());
}

/** A "scanned" PDF: each page is only an image of its lines, no text layer. */
export async function scannedPdf(pages: string[][], size: { width: number; height: number } = A4): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (const lines of pages) {
    const png = await pdf.embedPng(await textImage(lines, { width: 1700 }));
    const page = pdf.addPage([size.width, size.height]);
    const width = size.width - 60;
    page.drawImage(png, { x: 30, y: size.height - 30 - (width * png.height) / png.width, width, height: (width * png.height) / png.width });
  }
  return Buffer.from(await pdf.save());
}

/**
 * A mixed page: `typed` lines set in Helvetica at the top (a real text layer)
 * above an image of the `scanned` lines (no text layer), as when a form's
 * header is typed and its body scanned in. The image spans the page's width
 * below the header.
 */
export async function mixedPdf(typed: string[], scanned: string[], size: { width: number; height: number } = A4): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([size.width, size.height]);
  typed.forEach((line, i) => page.drawText(line, { x: 50, y: size.height - 80 - i * 24, size: 14, font }));
  const png = await pdf.embedPng(await textImage(scanned, { width: 1700 }));
  const width = size.width - 60;
  const height = (width * png.height) / png.width;
  page.drawImage(png, { x: 30, y: size.height - 100 - typed.length * 24 - height, width, height });
  return Buffer.from(await pdf.save());
}

/**
 * A small page (A6) showing one grey image of `width` x `height` pixels
 * (white, its top tenth black), stored as a flate stream: 64 megapixels take
 * 8 MB of 1-bit rows decoded and a few kilobytes stored. With `typed`, a line
 * of real text above it.
 */
export async function largeImagePdf(width: number, height: number, { bits = 1, typed }: { bits?: 1 | 8; typed?: string } = {}): Promise<Buffer> {
  const row = Math.ceil((width * bits) / 8);
  const pixels = Buffer.alloc(row * height, 0xff);
  pixels.fill(0, 0, row * Math.ceil(height / 10));
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([298, 420]);
  const image = pdf.context.flateStream(pixels, { Type: 'XObject', Subtype: 'Image', Width: width, Height: height, ColorSpace: 'DeviceGray', BitsPerComponent: bits });
  const name = page.node.newXObject('Scan', pdf.context.register(image));
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(258, 0, 0, 340, 20, 20), drawObject(name), popGraphicsState());
  if (typed) page.drawText(typed, { x: 20, y: 390, size: 14, font: await pdf.embedFont(StandardFonts.Helvetica) });
  return Buffer.from(await pdf.save());
}

/** `count` blank pages: a very long document in little space. */
export async function longPdf(count: number): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < count; i++) pdf.addPage([A4.width, A4.height]);
  return Buffer.from(await pdf.save());
}

/** Encrypts a PDF with AES-256 and a user password, as qpdf (installed by CI) does. */
export async function encryptPdf(pdf: Buffer, password: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'ocrflow-pdf-'));
  try {
    await writeFile(join(dir, 'in.pdf'), pdf);
    await promisify(execFile)('qpdf', ['--encrypt', password, `${password}-owner`, '256', '--', join(dir, 'in.pdf'), join(dir, 'out.pdf')]);
    return await readFile(join(dir, 'out.pdf'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A multi-page TIFF, one page per image; the images must share a size. */
export async function multiPageTiff(pages: Buffer[]): Promise<Buffer> {
  return sharp(pages, { join: { animated: true } }).tiff({ compression: 'lzw' }).toBuffer();
}

/**
 * A decompression bomb: one page whose content stream inflates to `bytes` of
 * spaces (1 GiB by default) from about a thousandth of that, written with a
 * streaming deflate so the inflated bytes are never held here.
 */
export async function flateBombPdf(bytes = 2 ** 30): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise((resolve) => deflate.once('end', resolve));
  const chunk = Buffer.alloc(64 * 2 ** 20, 0x20);
  for (let written = 0; written < bytes; written += chunk.length) {
    if (!deflate.write(chunk)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([A4.width, A4.height]);
  page.node.set(PDFName.of('Contents'), pdf.context.register(pdf.context.stream(Buffer.concat(parts), { Filter: 'FlateDecode' })));
  return Buffer.from(await pdf.save());
}
