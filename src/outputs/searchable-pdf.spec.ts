import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { PDFArray, PDFDocument, PDFName, PDFRawStream, type PDFPage } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptPdf, mixedPdf, scannedPdf, textPdf } from '../../test/support/documents.js';
import { textImage } from '../../test/support/images.js';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { OcrPool } from '../ocr/ocr-pool.js';
import type { OcrPage, Rotation } from '../ocr/ocr-types.js';
import { DocumentReader } from '../reader/document-reader.js';
import type { ReaderOptions } from '../reader/document-types.js';
import type { OutputPage } from './output-types.js';
import { searchablePdf } from './searchable-pdf.js';

const READER: ReaderOptions = {
  image: { maxPixels: 50_000_000, maxDimension: 20_000 },
  pdf: { dpi: 300, maxPagePixels: 35_000_000 },
  ocrMaxPixels: 12_000_000,
  deskew: false,
};

const LINES = ['Searchable archive copy 2026', 'Invoice number 4711 total 99.50'];

let dir: string;
let pool: OcrPool;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ocrflow-spdf-'));
  pool = await OcrPool.create({ size: 1 });
});
afterAll(async () => {
  await pool?.close();
  await rm(dir, { recursive: true, force: true });
});

/** What poppler's pdftotext reads from `pdf` (`-bbox`: words with their boxes, as XHTML). */
async function pdftotext(pdf: Buffer, ...args: string[]): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(file, pdf);
  const { stdout } = await promisify(execFile)('pdftotext', [...args, file, '-']);
  return stdout;
}

/** The output's size against the bound (1.5 × the input + 20 KB a page), printed for the report. */
function expectWithinBound(name: string, input: Buffer, output: Buffer, pages: number): void {
  const bound = 1.5 * input.length + 20_000 * pages;
  console.log(`searchable PDF size, ${name}: input ${input.length} B, output ${output.length} B, bound ${bound} B`);
  expect(output.length).toBeLessThanOrEqual(bound);
}

function outputPage(number: number, page: OcrPage, rotation: Rotation = 0, dpi?: number): OutputPage {
  return { number, source: 'ocr', rotation, dpi, ...page };
}

/** Each content stream of a page, in order: its bytes as stored, and decoded. */
function contentStreams(page: PDFPage): { raw: string; text: string }[] {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => page.doc.context.lookup(ref)) : [contents];
  return streams.map((stream) => {
    const raw = Buffer.from((stream as PDFRawStream).getContents());
    const flate = (stream as PDFRawStream).dict.get(PDFName.of('Filter')) === PDFName.of('FlateDecode');
    return { raw: raw.toString('latin1'), text: (flate ? inflateSync(raw) : raw).toString('latin1') };
  });
}

async function withReader<T>(pdf: Buffer, read: (reader: DocumentReader) => Promise<T>): Promise<T> {
  const reader = await DocumentReader.open(pdf, READER);
  try {
    return await read(reader);
  } finally {
    await reader.close();
  }
}

/** Reads a PDF page through the reader (rendered at 300 dpi) and OCRs it, boxes in the page's pixels. */
async function ocrPdfPage(pdf: Buffer, number: number): Promise<OutputPage> {
  const content = await withReader(pdf, (reader) => reader.page(number));
  if (content.kind !== 'image' || !content.image) throw new Error('expected a page to OCR');
  const page = await pool.recognize(content.image);
  expect([page.width, page.height]).toEqual([content.width, content.height]);
  return outputPage(number, page, 0, content.dpi);
}

describe('searchablePdf', () => {
  it('makes a scanned page image searchable: pdftotext finds the words OCR read, in order', async () => {
    const image = await textImage(LINES);
    const page = outputPage(1, await pool.recognize(image));
    const pdf = await searchablePdf(image, 'image/png', [page]);

    const text = await pdftotext(pdf);
    expect(text).toContain('Searchable archive copy 2026');
    expect(text).toContain('Invoice number 4711 total 99.50');
    expect(text.indexOf('Searchable')).toBeLessThan(text.indexOf('Invoice'));
    // No size from the PNG: 1400 pixels wide is over tabloid at 72 dpi, so the page is sized at 300 dpi.
    const [out] = (await PDFDocument.load(pdf)).getPages();
    expect(out!.getWidth()).toBeCloseTo((1400 * 72) / 300, 1);
    // Each word where it stands on the image: pdftotext's box of "Invoice" in points, against OCR's in pixels.
    const bbox = await pdftotext(pdf, '-bbox');
    const word = page.lines[1]!.words[0]!;
    const box = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">Invoice</.exec(bbox)!.slice(1).map(Number);
    const scale = 72 / 300;
    expect(box[0]).toBeCloseTo(word.bbox.x0 * scale, 0);
    expect(box[2]).toBeCloseTo(word.bbox.x1 * scale, 0);
    expect(Math.abs(box[1]! - word.bbox.y0 * scale)).toBeLessThan(3);
    expect(Math.abs(box[3]! - word.bbox.y1 * scale)).toBeLessThan(3);
    expectWithinBound('PNG scan', image, pdf, 1);
  });

  it('keeps a born-digital PDF page as it was: same content streams, same text, no second layer', async () => {
    const original = await textPdf([['First page of the contract'], ['Second page, signed']]);
    const pages: OutputPage[] = [1, 2].map((number) => ({
      number, source: 'text-layer', rotation: 0, width: 2480, height: 3508, dpi: 300, text: '', confidence: 100, lines: [],
    }));
    const pdf = await searchablePdf(original, 'application/pdf', pages);

    const [before, after] = [await PDFDocument.load(original), await PDFDocument.load(pdf)];
    expect(after.getPageCount()).toBe(2);
    for (const i of [0, 1]) expect(contentStreams(after.getPage(i)).map((s) => s.raw)).toEqual(contentStreams(before.getPage(i)).map((s) => s.raw));
    const text = await pdftotext(pdf);
    expect(text.match(/First page of the contract/g)).toHaveLength(1);
    expect(text.match(/Second page, signed/g)).toHaveLength(1);
    expectWithinBound('born-digital PDF', original, pdf, 2);
  });

  it('adds a text layer to a scanned PDF page, keeps its image, and writes only the pages given, in order', async () => {
    const original = await scannedPdf([['Page one is not processed'], LINES]);
    const page = await ocrPdfPage(original, 2);
    const pdf = await searchablePdf(original, 'application/pdf', [page]);

    expect(await pdftotext(original)).not.toContain('Invoice');
    const [before, after] = [await PDFDocument.load(original), await PDFDocument.load(pdf)];
    expect(after.getPageCount()).toBe(1);
    const streams = contentStreams(after.getPage(0));
    // q, the page's own content untouched, Q, then the invisible text.
    expect(streams.slice(1, -2).map((s) => s.raw)).toEqual(contentStreams(before.getPage(1)).map((s) => s.raw));
    expect([streams[0]!.text.trim(), streams.at(-2)!.text.trim()]).toEqual(['q', 'Q']);
    expect(streams.at(-1)!.text).toMatch(/^q\n[-\d. ]+ cm\nBT\n3 Tr\n/);
    const text = await pdftotext(pdf);
    expect(text).toContain('Invoice number 4711 total 99.50');
    expect(text).not.toContain('Page one');
    expectWithinBound('scanned PDF', original, pdf, 1);
  });

  it('writes only what OCR read on a mixed page: its typed lines are in the page already', async () => {
    const original = await mixedPdf(['Claim form 2026-114'], LINES);
    const content = await withReader(original, (reader) => reader.page(1));
    if (content.kind !== 'image' || !content.image || !content.textLayer) throw new Error('expected a mixed page');
    const ocr = await pool.recognize(content.image);
    const page: OutputPage = {
      ...outputPage(1, ocr, 0, content.dpi),
      source: 'mixed',
      lines: [...content.textLayer.map((line) => ({ ...line, source: 'text-layer' as const })), ...ocr.lines.map((line) => ({ ...line, source: 'ocr' as const }))],
    };
    const pdf = await searchablePdf(original, 'application/pdf', [page]);

    expect(await pdftotext(original)).not.toContain('Invoice');
    const text = await pdftotext(pdf);
    expect(text.match(/Claim form 2026-114/g)).toHaveLength(1);
    expect(text).toContain('Invoice number 4711 total 99.50');
    expectWithinBound('mixed PDF', original, pdf, 1);
  });

  it('maps the words of a page turned 90° to be read back onto the page as it stands', async () => {
    const upright = await textImage(LINES);
    const { width, height } = await sharp(upright).metadata();
    // Scanned a quarter turn anticlockwise: it is read after turning it 90° clockwise.
    const turned = await sharp(upright).rotate(270).png().toBuffer();
    const page = outputPage(1, await pool.recognize(upright), 90);
    const pdf = await searchablePdf(turned, 'image/png', [page]);

    const [out] = (await PDFDocument.load(pdf)).getPages();
    const scale = 72 / 300;
    expect([out!.getWidth(), out!.getHeight()].map(Math.round)).toEqual([Math.round(height * scale), Math.round(width * scale)]);
    const text = await pdftotext(pdf);
    expect(text.replace(/\s+/g, ' ')).toContain('Invoice number 4711 total 99.50');
    // The upright text's top-left corner is the turned page's bottom-left: the
    // lines run bottom to top up the left side, "Invoice" below "total".
    const bbox = await pdftotext(pdf, '-bbox');
    const boxOf = (word: string) => new RegExp(`<word xMin="([\\d.]+)" yMin="([\\d.]+)" xMax="([\\d.]+)" yMax="([\\d.]+)">${word}<`).exec(bbox)!.slice(1).map(Number);
    const [invoice, total] = [boxOf('Invoice'), boxOf('total')];
    expect(invoice[2]).toBeLessThan(out!.getWidth() / 1.5);
    expect(invoice[1]).toBeGreaterThan(total[3]!);
    expect(invoice[3]).toBeLessThanOrEqual(out!.getHeight());
    expectWithinBound('turned PNG', turned, pdf, 1);
  });

  it('writes characters the font cannot hold without failing: BMP text extracts, the rest as U+FFFD', async () => {
    const image = await textImage(['x']);
    const word = (text: string, x0: number) => ({ text, confidence: 90, bbox: { x0, y0: 40, x1: x0 + 150, y1: 100 } });
    const words = [word('naïve', 60), word('Łódź', 250), word('日本語', 440), word('(a\\b)', 630), word('🙂\u0001', 820)];
    const page: OutputPage = {
      number: 1, source: 'ocr', rotation: 0, width: 1400, height: 200, text: '', confidence: 90,
      lines: [{ text: '', confidence: 90, bbox: { x0: 60, y0: 40, x1: 970, y1: 100 }, words }],
    };
    const text = await pdftotext(await searchablePdf(image, 'image/png', [page]));
    expect(text.trim()).toBe('naïve Łódź 日本語 (a\\b) \uFFFD\uFFFD');
  });

  it('keeps words apart where their OCR boxes overlap', async () => {
    // Boxes as OCR gave them on a receipt (bench/outputs): "DOUG" ends past where "8" begins.
    const image = await textImage(['x']);
    const word = (text: string, x0: number, x1: number) => ({ text, confidence: 90, bbox: { x0, y0: 40, x1, y1: 100 } });
    const words = [word('DOUG', 60, 210), word('8', 203, 225), word('TOTAL', 300, 450)];
    const page: OutputPage = {
      number: 1, source: 'ocr', rotation: 0, width: 1400, height: 200, text: '', confidence: 90,
      lines: [{ text: '', confidence: 90, bbox: { x0: 60, y0: 40, x1: 450, y1: 100 }, words }],
    };
    const pdf = await searchablePdf(image, 'image/png', [page]);

    expect((await pdftotext(pdf)).trim()).toBe('DOUG 8 TOTAL');
    // Every word starts where OCR found it.
    const bbox = await pdftotext(pdf, '-bbox');
    const scale = (await PDFDocument.load(pdf)).getPages()[0]!.getWidth() / page.width;
    for (const { text, bbox: box } of words) {
      const found = new RegExp(`<word xMin="([\\d.]+)" yMin="[\\d.]+" xMax="[\\d.]+" yMax="[\\d.]+">${text}<`).exec(bbox);
      expect(Number(found?.[1]), text).toBeCloseTo(box.x0 * scale, 0);
    }
  });

  it('refuses an encrypted PDF with a stable code', async () => {
    const original = await encryptPdf(await textPdf([['secret']]), 'pw');
    const error = await searchablePdf(original, 'application/pdf', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).code).toBe(ErrorCode.SEARCHABLE_PDF_UNSUPPORTED);
  });
});
