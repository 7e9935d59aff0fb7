import { OPS, Util } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import { isMixed, surveyPage, type OperatorList } from './pdf-page-survey.js';

type Op = [keyof typeof OPS, ...unknown[]];

/** An operator list as pdf.js builds it, from operator names and their arguments. */
const operators = (...ops: Op[]): OperatorList =>
  ({ fnArray: ops.map(([name]) => OPS[name]), argsArray: ops.map(([, ...args]) => args), lastChunk: true, separateAnnots: null }) as never;
const glyphs = (text: string) => [...text].map((unicode) => ({ unicode, width: 500 }));
const survey = (...ops: Op[]) => surveyPage(operators(...ops), [0, 0, 600, 800], { OPS, Util });

describe('surveyPage', () => {
  it('places images by the matrix in force, through saves, forms and annotations, clipped to the page', () => {
    const page = survey(
      ['save'],
      ['transform', 2, 0, 0, 2, 0, 0],
      ['transform', 150, 0, 0, 100, 0, 0], // 300 x 200 at the origin, once doubled
      ['paintImageXObject', 'img_1', 10, 10],
      ['restore'],
      ['paintFormXObjectBegin', [1, 0, 0, 1, 400, 700], [0, 0, 1, 1]],
      ['transform', 400, 0, 0, 400, 0, 0], // runs off the page's top right
      ['paintImageMaskXObject', { data: 'mask_1', width: 10, height: 10 }],
      ['paintFormXObjectEnd'],
      ['beginAnnotation', 'a1', [0, 0, 10, 10], [0, -50, 50, 0, 300, 300], [1, 0, 0, 1, 0, 0], false],
      ['paintInlineImageXObject', {}], // turned a quarter: its box
      ['endAnnotation'],
      ['paintImageXObject', 'img_2', 10, 10], // back in the page's own space: the unit square
    );
    expect(page.images).toEqual([
      [0, 0, 300, 200],
      [400, 700, 600, 800],
      [300, 250, 350, 300],
      [0, 0, 1, 1],
    ]);
    // Their union, counted on a grid of the page: about the sum of their areas, as they do not overlap.
    expect(page.imageCover).toBeCloseTo((60_000 + 20_000 + 2_500) / 480_000, 1);
  });

  it('counts the glyphs drawn in an invisible render mode, the mode saved and restored with the graphics state', () => {
    const page = survey(
      ['save'],
      ['setTextRenderingMode', 3],
      ['showText', glyphs('hidden')],
      ['restore'],
      ['showSpacedText', [...glyphs('seen'), -120, ...glyphs('too')]],
      ['setTextRenderingMode', 7],
      ['nextLineShowText', glyphs('clip')],
    );
    expect(page).toMatchObject({ glyphs: 6 + 7 + 4, invisibleGlyphs: 6 + 4 });
  });
});

describe('isMixed', () => {
  const page = { images: [], glyphs: 100, invisibleGlyphs: 0 };
  it('is a page whose images cover 5 % of it or more, unless most of its text is invisible', () => {
    expect(isMixed({ ...page, imageCover: 0.04 })).toBe(false);
    expect(isMixed({ ...page, imageCover: 0.05 })).toBe(true);
    expect(isMixed({ ...page, imageCover: 1, invisibleGlyphs: 50 })).toBe(true);
    expect(isMixed({ ...page, imageCover: 1, invisibleGlyphs: 51 })).toBe(false);
  });
});
