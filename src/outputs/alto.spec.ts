import { beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD_WORDS, awkwardPages, findAll, hasXmllint, parseXml, recognisedPage, xmllint } from '../../test/support/output-pages.js';
import { renderAlto } from './alto.js';
import type { OutputPage } from './output-types.js';

const SCHEMA = 'test/fixtures/alto/alto-4-4.xsd';
const NCNAME = /^[A-Za-z_][\w.-]*$/;

describe('renderAlto', () => {
  let pages: OutputPage[];
  beforeAll(async () => {
    pages = [await recognisedPage(1, ['Invoice 12345 Total 42.00', 'Thanks from Acme & Co']), ...awkwardPages()];
  });

  it.skipIf(!hasXmllint)('validates against the official ALTO 4.4 schema, and the check catches an invalid file (skipped without xmllint: apt-get install libxml2-utils)', () => {
    const alto = renderAlto(pages, { imageName: 'scan <1> & "2".pdf' });
    expect(xmllint(['--noout', '--schema', SCHEMA], alto)).toEqual({ ok: true, errors: '- validates\n' });
    const invalid = alto.replace(/WC="[\d.]+"/, 'WC="96"');
    expect(invalid).not.toBe(alto);
    expect(xmllint(['--noout', '--schema', SCHEMA], invalid).errors).toContain("attribute 'WC'");
  });

  it('writes a Page per page in pixels, a String per word with WC 0–1 inside its line and page, SP between words, unique NCName ids', () => {
    const alto = parseXml(renderAlto(pages));
    expect(findAll(alto, (e) => e.name === 'MeasurementUnit').map((e) => e.text)).toEqual(['pixel']);
    const altoPages = findAll(alto, (e) => e.name === 'Page');
    expect(altoPages.map((p) => [p.attributes.PHYSICAL_IMG_NR, p.attributes.WIDTH, p.attributes.HEIGHT])).toEqual([
      ['1', String(pages[0].width), String(pages[0].height)],
      ['2', '612', '792'],
      ['3', '612', '792'],
      ['4', '612', '792'],
    ]);
    const contents = (i: number) => findAll(altoPages[i], (e) => e.name === 'String').map((s) => s.attributes.CONTENT);
    expect(contents(0)).toEqual(pages[0].lines.flatMap((l) => l.words.map((w) => w.text)));
    expect(contents(0)).toEqual(expect.arrayContaining(['Invoice', '12345', 'Thanks']));
    expect(contents(1)).toEqual(AWKWARD_WORDS);
    expect([contents(2), contents(3)]).toEqual([[], []]);

    const box = (a: Record<string, string>) => {
      const [x, y, w, h] = [a.HPOS, a.VPOS, a.WIDTH, a.HEIGHT].map(Number);
      return { x0: x, y0: y, x1: x + w, y1: y + h };
    };
    const inside = (b: ReturnType<typeof box>, o: ReturnType<typeof box>) => b.x0 >= o.x0 && b.y0 >= o.y0 && b.x1 <= o.x1 && b.y1 <= o.y1 && b.x0 <= b.x1 && b.y0 <= b.y1;
    for (const page of altoPages) {
      const pageBox = box({ ...page.attributes, HPOS: '0', VPOS: '0' });
      for (const line of findAll(page, (e) => e.name === 'TextLine')) {
        expect(inside(box(line.attributes), pageBox)).toBe(true);
        const strings = line.children.filter((c) => c.name === 'String');
        expect(line.children.map((c) => c.name)).toEqual(strings.flatMap((_, i) => (i === 0 ? ['String'] : ['SP', 'String'])));
        for (const s of strings) {
          expect(inside(box(s.attributes), box(line.attributes))).toBe(true);
          expect(Number(s.attributes.WC)).toBeGreaterThanOrEqual(0);
          expect(Number(s.attributes.WC)).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(findAll(altoPages[0], (e) => e.name === 'String').every((s) => Number(s.attributes.WC) > 0.5)).toBe(true);
    const ids = findAll(alto, (e) => 'ID' in e.attributes).map((e) => e.attributes.ID);
    expect(ids.every((id) => NCNAME.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
