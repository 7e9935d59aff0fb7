import type { BBox } from '../ocr/ocr-types.js';
import { type LayoutPage, layoutPages } from './output-layout.js';
import type { OutputOptions } from './output-options.js';
import type { OutputPage } from './output-types.js';
import { escapeXml } from './xml-text.js';

/**
 * The classes written, as Tesseract's hOCR renderer lists them: readers such
 * as hocr-tools and OCRmyPDF look at `ocrx_word` and `ocrp_wconf`.
 */
const CAPABILITIES = 'ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf';

/**
 * The pages as hOCR 1.2, the XHTML Tesseract's hOCR renderer writes: one
 * `ocr_page` per page (`ppageno` counts from 0, from the page number, so a job
 * that read pages 3–5 says 2–4), one `ocr_carea` and `ocr_par` around all of a
 * page's lines (the stored result keeps lines, not Tesseract's blocks), then
 * `ocr_line` and `ocrx_word` with `bbox` and an integer `x_wconf`. Ids follow
 * Tesseract's: `line_<page>_<n>` and `word_<page>_<n>` counted through the page.
 * Pages read from a PDF's text layer are written the same way (confidence 100).
 */
export function renderHocr(pages: OutputPage[], options: OutputOptions = {}): string {
  // hOCR quotes the name and has no escape for a quote inside it.
  const image = escapeXml((options.imageName ?? 'document').replace(/"/g, ''));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"',
    '    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
    ' <head>',
    '  <title></title>',
    '  <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
    `  <meta name="ocr-system" content="${escapeXml(options.ocrSystem ?? 'tesseract')}"/>`,
    `  <meta name="ocr-capabilities" content="${CAPABILITIES}"/>`,
    ' </head>',
    ' <body>',
  ];
  for (const page of layoutPages(pages)) out.push(...hocrPage(page, image));
  out.push(' </body>', '</html>', '');
  return out.join('\n');
}

function hocrPage(page: LayoutPage, image: string): string[] {
  const n = page.number;
  const res = page.dpi ? `; scan_res ${Math.round(page.dpi)} ${Math.round(page.dpi)}` : '';
  const title = `image &quot;${image}&quot;; bbox 0 0 ${page.width} ${page.height}; ppageno ${n - 1}${res}`;
  if (!page.textBox) return [`  <div class="ocr_page" id="page_${n}" title="${title}"></div>`];
  const out = [
    `  <div class="ocr_page" id="page_${n}" title="${title}">`,
    `   <div class="ocr_carea" id="block_${n}_1" title="${bbox(page.textBox)}">`,
    `    <p class="ocr_par" id="par_${n}_1" title="${bbox(page.textBox)}">`,
  ];
  let wordId = 0;
  page.lines.forEach((line, i) => {
    out.push(`     <span class="ocr_line" id="line_${n}_${i + 1}" title="${bbox(line.bbox)}">`);
    const words = line.words.map((w) => {
      wordId += 1;
      const title = `${bbox(w.bbox)}; x_wconf ${Math.round(w.confidence)}`;
      return `      <span class="ocrx_word" id="word_${n}_${wordId}" title="${title}">${escapeXml(w.text)}</span>`;
    });
    out.push(words.join(' \n'), '     </span>');
  });
  out.push('    </p>', '   </div>', '  </div>');
  return out;
}

function bbox(b: BBox): string {
  return `bbox ${b.x0} ${b.y0} ${b.x1} ${b.y1}`;
}
