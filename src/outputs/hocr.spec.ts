import { beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD_WORDS, awkwardPages, findAll, hasXmllint, parseXml, recognisedPage, type XmlElement, xmllint } from '../../test/support/output-pages.js';
import { renderHocr } from './hocr.js';
import type { OutputPage } from './output-types.js';

const byClass = (root: XmlElement, cls: string) => findAll(root, (e) => e.attributes.class === cls);
const bboxOf = (e: XmlElement) => /bbox (\d+) (\d+) (\d+) (\d+)/.exec(e.attributes.title)!.slice(1).map(Number);
const inside = ([x0, y0, x1, y1]: number[], [X0, Y0, X1, Y1]: number[]) => x0 >= X0 && y0 >= Y0 && x1 <= X1 && y1 <= Y1 && x0 <= x1 && y0 <= y1;

describe('renderHocr', () => {
  let scanned: OutputPage;
  beforeAll(async () => {
    scanned = await recognisedPage(1, ['Invoice 12345 Total 42.00', 'Thanks from Acme & Co']);
  });

  it('writes each recognised word as one ocrx_word with its box inside its line and page, and an integer x_wconf', () => {
    const html = parseXml(renderHocr([scanned, ...awkwardPages()], { imageName: 'scan.pdf', ocrSystem: 'tesseract 5.5.0' }));
    const meta = Object.fromEntries(findAll(html, (e) => e.name === 'meta' && 'name' in e.attributes).map((m) => [m.attributes.name, m.attributes.content]));
    expect(meta).toEqual({ 'ocr-system': 'tesseract 5.5.0', 'ocr-capabilities': 'ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf' });
    const pages = byClass(html, 'ocr_page');
    expect(pages.map((p) => p.attributes.title)).toEqual([
      `image "scan.pdf"; bbox 0 0 ${scanned.width} ${scanned.height}; ppageno 0`,
      'image "scan.pdf"; bbox 0 0 612 792; ppageno 1; scan_res 72 72',
      'image "scan.pdf"; bbox 0 0 612 792; ppageno 2; scan_res 72 72',
      'image "scan.pdf"; bbox 0 0 612 792; ppageno 3; scan_res 72 72',
    ]);
    const words = byClass(pages[0], 'ocrx_word');
    expect(words.map((w) => w.text)).toEqual(scanned.lines.flatMap((l) => l.words.map((w) => w.text)));
    expect(words.map((w) => w.text)).toEqual(expect.arrayContaining(['Invoice', '12345', 'Thanks']));
    for (const page of pages) {
      for (const line of byClass(page, 'ocr_line')) {
        expect(inside(bboxOf(line), bboxOf(page))).toBe(true);
        for (const word of byClass(line, 'ocrx_word')) {
          expect(inside(bboxOf(word), bboxOf(line))).toBe(true);
          const conf = Number(/x_wconf (\S+)/.exec(word.attributes.title)![1]);
          expect(Number.isInteger(conf) && conf >= 0 && conf <= 100).toBe(true);
        }
      }
    }
    const ids = findAll(html, (e) => 'id' in e.attributes).map((e) => e.attributes.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes markup and quotes, keeps emoji, drops characters XML forbids, and writes pages without words as empty ocr_page', () => {
    const hocr = renderHocr(awkwardPages());
    expect(hocr).toContain('>&lt;tag&gt;</span>');
    expect(hocr).not.toMatch(/[\u0001\u0007\uFFFE]/);
    const pages = byClass(parseXml(hocr), 'ocr_page');
    expect(byClass(pages[0], 'ocrx_word').map((w) => w.text)).toEqual(AWKWARD_WORDS);
    expect(pages.slice(1).map((p) => p.children)).toEqual([[], []]);
  });

  it.skipIf(!hasXmllint)('is well-formed XML to libxml2 (skipped without xmllint: apt-get install libxml2-utils)', () => {
    const hocr = renderHocr([scanned, ...awkwardPages()], { imageName: 'a "b" & <c>.png' });
    expect(xmllint(['--noout'], hocr)).toEqual({ ok: true, errors: '' });
    expect(xmllint(['--noout'], hocr.replace('&lt;tag&gt;', '<tag>')).ok).toBe(false);
  });
});
