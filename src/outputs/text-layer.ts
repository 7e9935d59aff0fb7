import { PDFString, type PDFDocument, type PDFRef } from 'pdf-lib';
import type { OcrLine, OcrWord } from '../ocr/ocr-types.js';
import { matrixOperands, num, type Matrix } from './pdf-matrix.js';

/**
 * Tesseract's GlyphLessFont (tessdata/pdf.ttf, Apache-2.0, 572 bytes): one
 * empty glyph. Tesseract and OCRmyPDF lay their invisible text in such a
 * font: a viewer needs no real glyph for text it never draws, and the text's
 * meaning comes from the ToUnicode map, not from the font.
 */
const GLYPHLESS_FONT_BASE64 =
  'AAEAAAAKAIAAAwAgT1MvMlbeyJQAAAEoAAAAYGNtYXAACgA0AAABkAAAAB5nbHlmFSJBJAAAAbgAAAAYaGVhZAt48WUAAACsAAAANmhoZWEMAgQCAAAA5AAAACRobXR4BAAAAAAAAYgAAAAIbG9jYQAMAAAAAAGwAAAABm1heHAABAAFAAABCAAAACBuYW1l8usW2gAAAdAAAABLcG9zdAABAAEAAAIcAAAAIAABAAAAAQAAsJRxEF8PPPUEBwgAAAAAAM+a/G4AAAAA1MOn8gAAAAAEAAgAAAAAEAACAAAAAAAAAAEAAAgA//8AAAQAAAAAAAQAAAEAAAAAAAAAAAAAAAAAAAACAAEAAAACAAQAAQAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAwAAAZAABQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUAAQABAAAAAAAAAAAAAAAAAAAAAAAAAAAAR09PRwBAAAAAAAAB//8AAAABAAGAAAAAAAAAAAAAAAAAAAABAAAAAAAABAAAAAAAAAIAAQAAAAAAFAADAAAAAAAUAAYACgAAAAAAAAAAAAAAAAAMAAAAAQAAAAAEAAgAAAMAADEhESEEAPwACAAAAAADACoAAAADAAAABQAWAAAAAQAAAAAABQALABYAAwABBAkABQAWAAAAVgBlAHIAcwBpAG8AbgAgADEALgAwVmVyc2lvbiAxLjAAAAEAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAA=';

/** Every character is this wide, in thousandths of the font size; `Tz` stretches it to the word's box. */
const CHAR_WIDTH = 500;
/** The part of the font size above the baseline; the rest (0.2) is below, so a line's box holds the glyph box exactly. */
const ASCENT = 0.8;


/**
 * Adds the text layer's font to `pdf`, once for all its pages: a Type0 font
 * whose codes are UTF-16 code units (Identity-H), every one drawn with the
 * empty glyph (CIDToGIDMap) and mapped back to itself (ToUnicode), so any
 * character of the Basic Multilingual Plane is written and extracted as it is;
 * Helvetica's WinAnsi encoding could not write most of them.
 */
export function addGlyphlessFont(pdf: PDFDocument): PDFRef {
  const { context } = pdf;
  const fontFile = context.register(context.flateStream(Buffer.from(GLYPHLESS_FONT_BASE64, 'base64')));
  const gidMap = new Uint8Array(2 * 65536);
  for (let i = 1; i < gidMap.length; i += 2) gidMap[i] = 1;
  const descriptor = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: 'GlyphLessFont',
      Flags: 5, // fixed pitch, symbolic
      FontBBox: [0, -200, CHAR_WIDTH, 800],
      ItalicAngle: 0,
      Ascent: 800,
      Descent: -200,
      CapHeight: 800,
      StemV: 80,
      FontFile2: fontFile,
    }),
  );
  const cidFont = context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: 'GlyphLessFont',
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: descriptor,
      DW: CHAR_WIDTH,
      CIDToGIDMap: context.register(context.flateStream(gidMap)),
    }),
  );
  return context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: 'GlyphLessFont',
      Encoding: 'Identity-H',
      DescendantFonts: [cidFont],
      ToUnicode: context.register(context.flateStream(identityToUnicode())),
    }),
  );
}

/**
 * Each 2-byte code to the same UTF-16 code unit. Ranges stay within one high
 * byte, as the CMap format requires of a bfrange; 256 of them compress to
 * about a kilobyte.
 */
function identityToUnicode(): string {
  const ranges: string[] = [];
  for (let high = 0; high < 256; high++) {
    const h = high.toString(16).padStart(2, '0').toUpperCase();
    // Surrogate code units alone mean nothing; encodeText never writes them.
    if (high >= 0xd8 && high <= 0xdf) continue;
    ranges.push(`<${h}00> <${h}FF> <${h}00>`);
  }
  const blocks: string[] = [];
  for (let i = 0; i < ranges.length; i += 100) {
    const block = ranges.slice(i, i + 100);
    blocks.push(`${block.length} beginbfrange\n${block.join('\n')}\nendbfrange`);
  }
  return [
    '/CIDInit /ProcSet findresource begin',
    '12 dict begin',
    'begincmap',
    '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
    '/CMapName /Adobe-Identity-UCS def',
    '/CMapType 2 def',
    '1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange',
    ...blocks,
    'endcmap',
    'CMapName currentdict /CIDInit /ProcSet findresource pop defineresource pop',
    'end',
    'end',
  ].join('\n');
}

/**
 * `text` as the font's codes, in hex: one UTF-16 code unit each. Characters
 * outside the Basic Multilingual Plane (emoji, rare CJK) would need two codes
 * whose ToUnicode pairing viewers handle unevenly: they become U+FFFD, as do
 * control characters, so nothing a recogniser returns can break the stream.
 */
export function encodeText(text: string): { hex: string; length: number } {
  let hex = '';
  let length = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const unit = code > 0xffff || (code >= 0xd800 && code <= 0xdfff) || code < 0x20 || (code >= 0x7f && code < 0xa0) ? 0xfffd : code;
    hex += unit.toString(16).padStart(4, '0');
    length += 1;
  }
  return { hex, length };
}

/**
 * The content stream of a page's invisible text (render mode 3), with boxes
 * in the pixels `toUser` maps to the page's user space. As OCRmyPDF's
 * renderer does, each line is one text object (poppler forgets `Tz` across
 * text objects) on a baseline near its box's bottom, its font as tall as the
 * line; each word but the last carries a trailing space, stretched with `Tz`
 * so "word " spans from the word's left edge to the next one's: selection
 * covers the words and `pdftotext` finds real spaces between them.
 *
 * A word before a wide gap is thereby drawn wider than its box. OCRmyPDF 17
 * fits each word to its own box instead (its issue 1635): measured on
 * receipts (bench/outputs, docs/performance.md), the right edges then line
 * up, but poppler, which splits words by the gaps between glyphs, ran
 * together words whose boxes nearly touch and reordered more: it extracted
 * 95.9 % of the OCR's words against 98.9 % with the stretched spaces.
 */
export function textLayerContent(lines: OcrLine[], toUser: Matrix, fontName: string): string {
  const out = ['q', `${matrixOperands(toUser)} cm`];
  for (const line of lines) {
    const words = line.words.filter((word) => word.text.trim() !== '' && word.bbox.x1 > word.bbox.x0);
    if (words.length === 0) continue;
    const size = Math.max(1, line.bbox.y1 - line.bbox.y0);
    const baseline = line.bbox.y1 - (1 - ASCENT) * size;
    // The pixel frame has y down: the text matrix flips it back so glyphs stand upright.
    out.push('BT', '3 Tr', `/${fontName} ${num(size)} Tf`, `1 0 0 -1 ${num(words[0]!.bbox.x0)} ${num(baseline)} Tm`);
    words.forEach((word, i) => {
      if (i > 0) out.push(`${num(word.bbox.x0 - words[i - 1]!.bbox.x0)} 0 Td`);
      out.push(...wordOperators(word, words[i + 1], size));
    });
    out.push('ET');
  }
  out.push('Q');
  return out.join('\n');
}

function wordOperators(word: OcrWord, next: OcrWord | undefined, size: number): string[] {
  // Also where OCR boxes touch or overlap ("DOUG" ending past where "8"
  // begins, as on receipts): without the stretched space the word's glyphs
  // would run into the next and pdftotext would join them ("DOUG8").
  const spaced = next !== undefined && next.bbox.x0 > word.bbox.x0;
  const { hex, length } = encodeText(spaced ? `${word.text.trim()} ` : word.text.trim());
  const width = spaced ? next.bbox.x0 - word.bbox.x0 : word.bbox.x1 - word.bbox.x0;
  const natural = (length * CHAR_WIDTH * size) / 1000;
  return [`${num((100 * width) / natural)} Tz`, `<${hex}> Tj`];
}
