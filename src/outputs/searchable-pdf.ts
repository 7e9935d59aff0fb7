import { PDFDocument, PDFName, type PDFPage, type PDFRef } from 'pdf-lib';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import type { OutputPage } from './output-types.js';
import { embedPageImage } from './page-image.js';
import { compose, matrixOperands, num, pageToUser, uprightToPage } from './pdf-matrix.js';
import { addGlyphlessFont, textLayerContent } from './text-layer.js';

/**
 * The document as a searchable PDF: its processed `pages`, in the order
 * given, each with the recognised text laid invisibly (render mode 3) over
 * the words it was read from, so that a viewer finds and selects them and
 * `pdftotext` extracts them.
 *
 * A PDF keeps its pages as they are (copied with their content streams,
 * fonts and images untouched); only what OCR read gets a text layer, added
 * after their content. Text that came from the PDF's own text layer (all of
 * a `text-layer` page, the typed lines of a `mixed` one) is searchable
 * already and is not written twice. An image becomes one page per processed
 * page (a TIFF's pages), each image embedded once.
 *
 * @param mediaType the document's type as the reader sniffed it.
 * @throws DocumentError SEARCHABLE_PDF_UNSUPPORTED for an encrypted PDF
 *   (pdf-lib cannot decrypt, and copied encrypted streams would be unreadable).
 */
export async function searchablePdf(original: Buffer, mediaType: string, pages: OutputPage[]): Promise<Buffer> {
  const out = await PDFDocument.create({ updateMetadata: false });
  out.setProducer('ocrflow');
  if (mediaType === 'application/pdf') await copyPdfPages(out, original, pages);
  else await addImagePages(out, original, pages);
  return Buffer.from(await out.save());
}

async function copyPdfPages(out: PDFDocument, original: Buffer, pages: OutputPage[]): Promise<void> {
  // Loaded past its encryption only to say so: pdf-lib cannot decrypt, and
  // copied encrypted streams would be unreadable without the original's keys.
  const source = await PDFDocument.load(original, { updateMetadata: false, ignoreEncryption: true });
  if (source.isEncrypted) {
    throw new DocumentError(ErrorCode.SEARCHABLE_PDF_UNSUPPORTED, 'A searchable PDF cannot be made of an encrypted PDF.');
  }
  const copied = await out.copyPages(source, pages.map((page) => page.number - 1));
  let font: PDFRef | undefined;
  pages.forEach((page, i) => {
    const pdfPage = out.addPage(copied[i]);
    const lines = page.source === 'text-layer' ? [] : page.lines.filter((line) => line.source !== 'text-layer');
    if (!hasWords(lines)) return;
    font ??= addGlyphlessFont(out);
    const crop = pdfPage.getCropBox();
    const toUser = pageToUser(crop, normalisedRotate(pdfPage), ...frameSize(page));
    // The page's own content may leave its graphics state changed (no q/Q):
    // pdf-lib's normalize() wraps its streams in q … Q (autoNormalizeCTM), so
    // the text layer after them draws in the page's plain user space.
    pdfPage.node.normalize();
    addTextLayer(out, pdfPage, { ...page, lines }, toUser, font);
  });
}

async function addImagePages(out: PDFDocument, original: Buffer, pages: OutputPage[]): Promise<void> {
  let font: PDFRef | undefined;
  for (const page of pages) {
    const image = await embedPageImage(out, original, page.number - 1);
    const [width, height] = [(image.width * 72) / image.dpi, (image.height * 72) / image.dpi];
    const pdfPage = out.addPage([width, height]);
    pdfPage.node.setXObject(PDFName.of('Page'), image.ref);
    pdfPage.node.addContentStream(stream(out, `q ${num(width)} 0 0 ${num(height)} 0 0 cm /Page Do Q`));
    if (!hasWords(page.lines)) continue;
    font ??= addGlyphlessFont(out);
    addTextLayer(out, pdfPage, page, pageToUser({ x: 0, y: 0, width, height }, 0, ...frameSize(page)), font);
  }
}

/** Appends `page`'s invisible text, its boxes mapped from its upright pixels to `pdfPage`'s user space by `toUser`. */
function addTextLayer(out: PDFDocument, pdfPage: PDFPage, page: OutputPage, toUser: ReturnType<typeof pageToUser>, font: PDFRef): void {
  const name = freeFontName(pdfPage);
  pdfPage.node.setFontDictionary(PDFName.of(name), font);
  const toPage = uprightToPage(page.rotation, page.width, page.height);
  pdfPage.node.addContentStream(out.context.register(out.context.flateStream(textLayerContent(page.lines, compose(toPage, toUser), name))));
}

/** The page's size in pixels as it stands, before it was turned to be read: OCR boxes are in the upright frame. */
function frameSize(page: OutputPage): [number, number] {
  return page.rotation === 90 || page.rotation === 270 ? [page.height, page.width] : [page.width, page.height];
}

function hasWords(lines: OutputPage['lines']): boolean {
  return lines.some((line) => line.words.some((word) => word.text.trim() !== ''));
}

/** /Rotate as 0, 90, 180 or 270 (the spec allows any multiple of 90, negative too). */
function normalisedRotate(page: PDFPage): number {
  return (((page.getRotation().angle % 360) + 360) % 360);
}

/** A resource name for the text layer's font that the page's own content does not use. */
function freeFontName(page: PDFPage): string {
  const fonts = page.node.normalizedEntries().Font;
  let name = 'OcrText';
  for (let i = 1; fonts.has(PDFName.of(name)); i++) name = `OcrText${i}`;
  return name;
}

function stream(out: PDFDocument, content: string): PDFRef {
  return out.context.register(out.context.stream(content));
}
