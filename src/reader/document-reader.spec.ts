import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  setTextRenderingMode,
  StandardFonts,
  TextRenderingMode,
} from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { corpusHas, corpusPath } from '../../test/support/corpus.js';
import { encryptPdf, flateBombPdf, largeImagePdf, mixedPdf, multiPageTiff, textPdf } from '../../test/support/documents.js';
import { a4Image, textImage } from '../../test/support/images.js';
import { backNearIdle, MB, settledRss } from '../../test/support/memory.js';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { DocumentReader } from './document-reader.js';
import type { ReaderOptions } from './document-types.js';

const OPTIONS: ReaderOptions = {
  image: { maxPixels: 50_000_000, maxDimension: 20_000 },
  pdf: { dpi: 300, maxPagePixels: 35_000_000 },
  ocrMaxPixels: 12_000_000,
  deskew: false,
};

async function withReader<T>(data: Buffer, fn: (reader: DocumentReader) => Promise<T>, options = OPTIONS): Promise<T> {
  const reader = await DocumentReader.open(data, options);
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    return (error as DocumentError).code;
  }
}

/** An uncompressed 24-bit BMP, which only the service's own JavaScript decoder reads. */
function bmp(width: number, height: number): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + stride * height);
  buf.fill(0xff, 54); // white pixels
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  return buf;
}

/** Raw pixels of an image, one byte per channel. */
async function pixels(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * A one-page PDF that is a scan: raw pixels (RGB, or 1-bit grey rows padded to
 * whole bytes) drawn over the whole of a page of their size at `dpi`; with
 * a black square drawn over its bottom-left corner when `marked`.
 */
async function scanPdf(image: { data: Buffer; width: number; height: number; bits: 1 | 8 }, { marked = false, dpi = 300 } = {}): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  const [width, height] = [(image.width * 72) / dpi, (image.height * 72) / dpi];
  const page = pdf.addPage([width, height]);
  const stream = pdf.context.stream(image.data, {
    Type: 'XObject',
    Subtype: 'Image',
    Width: image.width,
    Height: image.height,
    ColorSpace: image.bits === 1 ? 'DeviceGray' : 'DeviceRGB',
    BitsPerComponent: image.bits,
  });
  const name = page.node.newXObject('Scan', pdf.context.register(stream));
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(width, 0, 0, height, 0, 0), drawObject(name), popGraphicsState());
  if (marked) page.drawRectangle({ x: 0, y: 0, width: 20, height: 20, color: rgb(0, 0, 0) });
  return Buffer.from(await pdf.save());
}

/** `pdf`'s first page with an image of text in its top-left corner covering `share` of the page, as a logo or a pasted scan. */
async function withImage(pdf: Buffer, share: number): Promise<Buffer> {
  const doc = await PDFDocument.load(pdf);
  const page = doc.getPage(0);
  const png = await doc.embedPng(await textImage(['ACME Shipping'], { width: 800 }));
  const width = Math.sqrt((share * page.getWidth() * page.getHeight() * png.width) / png.height);
  const height = (width * png.height) / png.width;
  page.drawImage(png, { x: 20, y: page.getHeight() - 20 - height, width, height });
  return Buffer.from(await doc.save());
}

/** A page-wide scan of `lines` with `text` set over it in Helvetica, visibly (a stamp) or not (an OCR layer). */
async function scanUnderText(lines: string[], text: string, { invisible }: { invisible: boolean }): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const png = await doc.embedPng(await textImage(lines, { width: 1700 }));
  page.drawImage(png, { x: 0, y: 842 - (595 * png.height) / png.width, width: 595, height: (595 * png.height) / png.width });
  page.pushOperators(pushGraphicsState(), setTextRenderingMode(invisible ? TextRenderingMode.Invisible : TextRenderingMode.Fill));
  page.drawText(text, { x: 20, y: 800, size: 14, font: await doc.embedFont(StandardFonts.Helvetica) });
  page.pushOperators(popGraphicsState());
  return Buffer.from(await doc.save());
}

describe('DocumentReader', () => {
  it('decodes a large BMP in its own thread, leaving the event loop free', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const started = performance.now();
    const page = await withReader(bmp(6000, 6000), (reader) => reader.page(1)); // 36 MP, ~400 ms of JavaScript
    const elapsed = performance.now() - started;
    histogram.disable();
    expect(page).toMatchObject({ kind: 'image', width: 6000, height: 6000 });
    // Right-sized for OCR: 12 MP at most, the same shape.
    if (page.kind !== 'image') throw new Error('expected an image page');
    expect(page.imageWidth * page.imageHeight).toBeLessThanOrEqual(12_000_000);
    expect(page.imageWidth).toBe(page.imageHeight);
    // Timers kept firing: no single stall anywhere near the decode's length
    // (decoded on this thread, one stall would last nearly all of it), however
    // slow the machine is today.
    expect(histogram.max / 1e6).toBeLessThan(elapsed / 2);
  });

  it('reads every page of a TIFF and only the first frame of other images', async () => {
    const pages = await Promise.all(['#000', '#888', '#fff'].map((c) => sharp({ create: { width: 60, height: 40, channels: 3, background: c } }).png().toBuffer()));
    await withReader(await multiPageTiff(pages), async (reader) => {
      expect([reader.mediaType, reader.pageCount]).toEqual(['image/tiff', 3]);
      const means = [];
      for (const n of [1, 2, 3]) {
        const page = await reader.page(n);
        if (page.kind !== 'image') throw new Error('expected an image page');
        means.push(Math.round((await sharp(page.image!).stats()).channels[0]!.mean));
      }
      expect(means).toEqual([0, 136, 255]);
    });
  });

  it('answers pages asked for all at once with the right page each, in the order asked, a failing one alone failing', async () => {
    // Page 2 has no text layer: it is rendered, the slow kind of read.
    const pdf = await textPdf([['page one'], [], ['page three'], ['page four']]);
    await withReader(pdf, async (reader) => {
      const arrived: number[] = [];
      const asked = [2, 4, 1, 3, 9].map((n) =>
        reader.page(n).then(
          (page) => (arrived.push(n), page),
          (error: DocumentError) => (arrived.push(n), error.code),
        ),
      );
      const [two, four, one, three, nine] = await Promise.all(asked);
      expect(arrived).toEqual([2, 4, 1, 3, 9]);
      expect(two).toMatchObject({ kind: 'image', number: 2 });
      expect([four, one, three].map((p: any) => [p.number, p.text])).toEqual([
        [4, 'page four'],
        [1, 'page one'],
        [3, 'page three'],
      ]);
      expect(nine).toBe(ErrorCode.CORRUPT_FILE);
    });
  });

  it('answers a PDF’s password problems and refuses what is not a document', async () => {
    const pdf = await encryptPdf(await textPdf([['locked']]), 'pw');
    expect(await codeOf(DocumentReader.open(pdf, OPTIONS))).toBe(ErrorCode.PASSWORD_REQUIRED);
    expect(await codeOf(DocumentReader.open(pdf, { ...OPTIONS, password: 'nope' }))).toBe(ErrorCode.PASSWORD_INCORRECT);
    const text = await withReader(pdf, (reader) => reader.page(1), { ...OPTIONS, password: 'pw' });
    expect(text).toMatchObject({ kind: 'text', text: 'locked' });
    expect(await codeOf(DocumentReader.open(Buffer.from('%PDF-1.4\n%%EOF\n'), OPTIONS))).toBe(ErrorCode.CORRUPT_FILE);
    expect(await codeOf(DocumentReader.open(Buffer.from('just some text, long enough'), OPTIONS))).toBe(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  });

  it('refuses a page too large to render from its size, and renders one that fits', async () => {
    const pdf = await textPdf([[], []], { width: 595, height: 842 });
    const small = { ...OPTIONS, pdf: { dpi: 300, maxPagePixels: 1_000_000 } };
    await withReader(pdf, async (reader) => {
      expect(await codeOf(reader.page(1))).toBe(ErrorCode.PAGE_TOO_LARGE);
    }, small);
    const page = await withReader(pdf, (reader) => reader.page(2));
    expect(page).toMatchObject({ kind: 'image', width: 2479, height: 3508, dpi: 300 });
  });

  it('fails a page holding an image over the page pixel cap with IMAGE_TOO_LARGE, however it is read, and reads one within it', async () => {
    // pdf.js leaves such an image out with only a warning: the page would read as blank, or as its text alone.
    for (const [pdf, options] of [
      [await largeImagePdf(6000, 6000), OPTIONS],
      [await largeImagePdf(6000, 6000, { typed: 'Typed above the scan' }), OPTIONS],
      [await largeImagePdf(6000, 6000, { typed: 'Typed above the scan' }), { ...OPTIONS, ocr: 'force' as const }],
    ] as const) {
      expect(await withReader(pdf, (reader) => codeOf(reader.page(1)), options)).toBe(ErrorCode.IMAGE_TOO_LARGE);
    }
    const fits = await withReader(await largeImagePdf(5000, 5000), (reader) => reader.page(1));
    expect(fits).toMatchObject({ kind: 'image', width: 1242, height: 1750 });
    // The image's black top tenth is drawn: 34 pt from 60 pt below the page's top, 250-392 pixels down.
    const { image } = fits as { image: Buffer };
    const band = await sharp(image).extract({ left: 200, top: 270, width: 800, height: 100 }).greyscale().raw().toBuffer();
    expect(band.reduce((sum, v) => sum + v, 0) / band.length).toBeLessThan(5);
  });

  it('reads a page with a typed header over a scanned body as mixed: its text layer, and the scan alone to OCR', async () => {
    const pdf = await mixedPdf(['Claim form 2026-114'], ['Scanned statement of the', 'harbour master on duty']);
    const page = await withReader(pdf, (reader) => reader.page(1));
    if (page.kind !== 'image' || !page.image || !page.textLayer) throw new Error(`expected a mixed page, got ${page.kind}`);
    expect(page.textLayer.map((line) => line.text)).toEqual(['Claim form 2026-114']);
    // One pixel space for both: the page at 300 dpi, drawn whole (under OCR_MAX_PIXELS).
    expect([page.width, page.height, page.imageWidth, page.imageHeight]).toEqual([2479, 3508, 2479, 3508]);
    const darkPixels = async ({ x0, y0, x1, y1 }: { x0: number; y0: number; x1: number; y1: number }) => {
      const data = await sharp(page.image!).extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 }).greyscale().raw().toBuffer();
      return data.filter((v) => v < 128).length;
    };
    // The header is left out of the image (the text layer has it exactly); the scan below it is in.
    const header = page.textLayer[0]!.bbox;
    expect(await darkPixels({ x0: 0, y0: 0, x1: page.width, y1: header.y1 + 20 })).toBe(0);
    expect(await darkPixels({ x0: 0, y0: header.y1 + 20, x1: page.width, y1: page.height })).toBeGreaterThan(5000);
  });

  it('reads a page from its text layer when its images are small, or its text lies invisibly over its scan (an OCR layer)', async () => {
    const kinds = async (pdf: Buffer) => withReader(pdf, async (reader) => (await reader.page(1)).kind);
    expect(await kinds(await withImage(await textPdf([['Invoice 4711 from ACME']]), 0.03))).toBe('text');
    expect(await kinds(await withImage(await textPdf([['Invoice 4711 from ACME']]), 0.08))).toBe('image');
    const scan = ['Scanned letter of', 'the harbour master'];
    expect(await kinds(await scanUnderText(scan, 'Scanned letter of the harbour master', { invisible: true }))).toBe('text');
    expect(await kinds(await scanUnderText(scan, 'Received 2026-03-01', { invisible: false }))).toBe('image');
  });

  it('reads a scanned page from its image’s own pixels, and draws a page with anything more on it', async () => {
    const scan = await pixels(await sharp(await textImage(['Scanned page', 'Total 12.00'])).removeAlpha().png().toBuffer());
    // Scanned at 301 dpi: drawn at the reader's 300 dpi the page would be 5 pixels narrower.
    const plain = await withReader(await scanPdf({ ...scan, bits: 8 }, { dpi: 301 }), (reader) => reader.page(1));
    expect(plain).toMatchObject({ kind: 'image', imageWidth: scan.width, imageHeight: scan.height });
    const read = await pixels((plain as { image: Buffer }).image);
    expect(read.data.equals(scan.data)).toBe(true);
    // Black on white: grey, so read as one channel.
    expect((await sharp((plain as { image: Buffer }).image).metadata()).channels).toBe(1);

    // The square (20 pt, 83 px) lies on the scan's white margin: only a page drawn whole shows it.
    const marked = await withReader(await scanPdf({ ...scan, bits: 8 }, { marked: true }), (reader) => reader.page(1));
    const corner = async (page: unknown) => {
      const { image } = page as { image: Buffer; imageHeight: number };
      const { data } = await sharp(image).extract({ left: 10, top: scan.height - 70, width: 60, height: 60 }).greyscale().raw().toBuffer({ resolveWithObject: true });
      return data.reduce((sum, v) => sum + v, 0) / data.length;
    };
    expect(await corner(plain)).toBeGreaterThan(250);
    expect(await corner(marked)).toBeLessThan(5);
  });

  it('reads a scan of another resolution from its own pixels, scaled to the page at 300 dpi, still grey', async () => {
    const scan = await pixels(await sharp(await textImage(['Scanned at 150 dpi', 'Total 12.00'])).removeAlpha().png().toBuffer());
    const page = await withReader(await scanPdf({ ...scan, bits: 8 }, { dpi: 150 }), (reader) => reader.page(1));
    expect(page).toMatchObject({ kind: 'image', imageWidth: scan.width * 2, imageHeight: scan.height * 2 });
    const { image } = page as { image: Buffer };
    expect((await sharp(image).metadata()).channels).toBe(1);
    // Pixel for pixel the scan, doubled: before, a grey scan came back 3 bytes a pixel read as 1, rows smeared into each other.
    const read = await sharp(image).toColourspace('b-w').raw().toBuffer();
    const { width, height, channels } = scan;
    const expected = await sharp(scan.data, { raw: { width, height, channels: channels as 1 | 3 } }).resize({ width: width * 2, height: height * 2, fit: 'fill' }).toColourspace('b-w').raw().toBuffer();
    expect(read.length).toBe(expected.length);
    const difference = read.reduce((sum, value, i) => sum + Math.abs(value - expected[i]!), 0) / read.length;
    expect(difference).toBeLessThan(3);
  });

  it('reads a 1-bit scan (rows padded to whole bytes) as black and white pixels', async () => {
    const [width, height] = [100, 60];
    const stride = Math.ceil(width / 8);
    const black = (x: number, y: number) => x < 37 || (y > 40 && x % 2 === 0);
    const packed = Buffer.alloc(stride * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (!black(x, y)) packed[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
    const page = await withReader(await scanPdf({ data: packed, width, height, bits: 1 }), (reader) => reader.page(1));
    expect(page).toMatchObject({ kind: 'image', imageWidth: width, imageHeight: height });
    const grey = await sharp((page as { image: Buffer }).image).extractChannel(0).raw().toBuffer();
    const expected = Buffer.from(Array.from({ length: width * height }, (_, i) => (black(i % width, Math.floor(i / width)) ? 0 : 255)));
    expect(grey.equals(expected)).toBe(true);
  });

  it('gives the memory its thread used back to the system once the document is closed', async () => {
    // An A4 scan at 300 dpi, read in two bands four times over, on a kept thread.
    const lines = Array.from({ length: 30 }, (_, i) => `Line ${i + 1} of an A4 page scanned at 300 dpi`);
    const a4 = await pixels(await a4Image(lines));
    const pdf = await scanPdf({ ...a4, bits: 8 });
    const before = await settledRss(process.pid);
    for (let i = 0; i < 4; i++) await withReader(pdf, (reader) => reader.page(1, { bands: 2 }));
    // Freed by the thread but kept by malloc, it stayed: 94 MB over in this test before.
    await backNearIdle(process.pid, before, 60 * MB);
  });

  it('refuses a page whose stream inflates past the thread’s memory cap (a flate bomb), and gives the memory back', async () => {
    // 1 MB that pdf.js inflated to a 1 GiB buffer (2 GiB while doubling it): the process reached 2.6 GB.
    const bomb = await flateBombPdf();
    expect(bomb.length).toBeLessThan(2 * MB);
    const before = await settledRss(process.pid);
    expect(await codeOf(withReader(bomb, (reader) => reader.page(1)))).toBe(ErrorCode.DOCUMENT_TOO_COMPLEX);
    await backNearIdle(process.pid, before, 60 * MB);
  });

  it('reads document after document on a kept thread, each as itself, after a refused one too', async () => {
    const first = await DocumentReader.open(await textPdf([['First document']]), OPTIONS);
    const thread = first.threadId;
    expect(await first.page(1)).toMatchObject({ kind: 'text', text: 'First document' });
    await first.close();
    expect(await codeOf(DocumentReader.open(Buffer.from('%PDF-1.4\n%%EOF\n'), OPTIONS))).toBe(ErrorCode.CORRUPT_FILE);
    const image = await DocumentReader.open(await textImage(['Second document'], { width: 600 }), OPTIONS);
    expect(image.threadId).toBe(thread);
    expect(image.mediaType).toBe('image/png');
    expect(await image.page(1)).toMatchObject({ kind: 'image', imageWidth: 600 });
    await image.close();
    // A page still being read when its document is closed: the thread is ended, not kept.
    const busy = await DocumentReader.open(await scanPdf({ ...(await pixels(await a4Image(['Third document']))), bits: 8 }), OPTIONS);
    expect(busy.threadId).toBe(thread);
    const reading = busy.page(1).catch((error: unknown) => error);
    await busy.close();
    expect(await reading).toMatchObject({ code: ErrorCode.INTERNAL });
    const next = await DocumentReader.open(await textPdf([['Fourth document']]), OPTIONS);
    expect(next.threadId).not.toBe(thread);
    await next.close();
  });

  it('fails calls cleanly when its thread is gone', async () => {
    const reader = await DocumentReader.open(await textPdf([['x']]), OPTIONS);
    await reader.close();
    await expect(reader.page(1)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  });
});

const pdfs = corpusHas('pdfs/pdfs.json', 'document-reader-corpus');
const normalise = (text: string) => text.normalize('NFKC').replace(/\s+/g, ' ').trim();

describe.skipIf(!pdfs)('DocumentReader on the shared corpus', () => {
  interface Entry {
    file: string;
    password: string | null;
    gt_file: string | null;
    kind: string;
  }
  const entries: Entry[] = pdfs ? JSON.parse(readFileSync(corpusPath('pdfs/pdfs.json'), 'utf8')) : [];
  const exact = entries.filter((e) => e.gt_file?.endsWith('.page1.txt') && !e.kind.includes('scanned image only'));

  it.each(exact.map((e) => [e.file, e] as const))('%s: page 1 text layer matches its ground truth', async (_, entry) => {
    const page = await withReader(readFileSync(corpusPath('pdfs', entry.file)), (reader) => reader.page(1), {
      ...OPTIONS,
      password: entry.password ?? undefined,
    });
    expect(page.kind).toBe('text');
    const truth = readFileSync(corpusPath('pdfs', entry.gt_file!), 'utf8');
    expect(normalise(page.kind === 'text' ? page.text : '')).toBe(normalise(truth));
  });

  it('honours /Rotate: a rotated page is rendered and measured on its side', async () => {
    await withReader(readFileSync(corpusPath('pdfs/pdfjs_rotation.pdf')), async (reader) => {
      const [portrait, landscape] = [await reader.page(1), await reader.page(2)];
      expect(portrait.width).toBeLessThan(portrait.height);
      expect(landscape.width).toBeGreaterThan(landscape.height);
    });
  });

  it.each(['edge/ocrmypdf/enormous.pdf', 'edge/ocrmypdf/hugemono.pdf'])('%s: refused from its size in seconds, memory back', async (file) => {
    const before = process.memoryUsage.rss();
    const started = performance.now();
    const code = await withReader(readFileSync(corpusPath(file)), (reader) => codeOf(reader.page(1)));
    console.log(`${file}: ${code} in ${Math.round(performance.now() - started)} ms, RSS ${Math.round((process.memoryUsage.rss() - before) / 2 ** 20)} MB over before`);
    expect(code).toBe(ErrorCode.PAGE_TOO_LARGE);
    expect(process.memoryUsage.rss() - before).toBeLessThan(100 * 2 ** 20);
  });

  it('reads an empty page as empty, and a file that is not a PDF as corrupt', async () => {
    const empty = await withReader(readFileSync(corpusPath('edge/ocrmypdf/no_contents.pdf')), (reader) => reader.page(1));
    expect(empty.kind).toBe('image');
    expect(await codeOf(DocumentReader.open(readFileSync(corpusPath('edge/ocrmypdf/invalid.pdf')), OPTIONS))).toBe(ErrorCode.CORRUPT_FILE);
  });
});
