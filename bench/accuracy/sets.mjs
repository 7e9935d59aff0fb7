// The documents the accuracy bench reads, set by set. A document is the bytes a
// user would upload, its file name, the text it holds, and what else the user
// would have to give to read it (a PDF's password, a page range).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { pageLines, pagePng } from '../documents/service.mjs';
import { funsdGtText, sroieGtText } from '../ocr/score.mjs';

/** Generated A4 pages of known prose (300 dpi PNG); `turn` changes the pixels of each one. */
async function generated(count, variants) {
  const docs = [];
  for (let n = 1; n <= count; n++) {
    const lines = pageLines(n);
    const png = await pagePng(lines);
    for (const [suffix, turn, ext] of variants) {
      docs.push({ name: `page${n}${suffix}.${ext}`, data: await turn(sharp(png)).toBuffer(), truth: lines.join('\n') });
    }
  }
  return docs;
}

export const upright = (count) => generated(count, [['', (img) => img.png(), 'png']]);

/** Turned in its pixels, as a page fed into a scanner sideways or upside down. */
export const rotated = (count) =>
  generated(count, [90, 180, 270].map((deg) => [`-${deg}`, (img) => img.rotate(deg).png(), 'png']));

/** Tilted on a white background, as a page laid crooked on the scanner glass. */
export const tilted = (count) =>
  generated(count, [3, -7].map((deg) => [`-tilt${deg}`, (img) => img.rotate(deg, { background: '#fff' }).png(), 'png']));

/**
 * Stored sideways with EXIF orientation 6, as a phone saves a photo: the
 * pixels lie on their side, the tag says how to turn them. The CLI ignores the tag.
 */
export const exifSideways = (count) =>
  generated(count, [
    ['-exif6', (img) => img.rotate(-90).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }), 'jpg'],
  ]);

/** The first `limit` images `folder/*.ext` of a corpus set by name, each with the truth `truth(id)` of its annotation. */
function annotated(folder, ext, limit, truth) {
  const files = readdirSync(folder).filter((f) => f.endsWith(`.${ext}`)).sort().slice(0, limit);
  return files.map((file) => ({ name: file, data: readFileSync(join(folder, file)), truth: truth(file.slice(0, -ext.length - 1)) }));
}

/** SROIE receipts (JPEG) with their box transcripts in reading order. */
export const sroie = (corpus, limit) =>
  annotated(join(corpus, 'sroie/img'), 'jpg', limit, (id) => sroieGtText(join(corpus, 'sroie/box', `${id}.csv`)));

/** FUNSD forms (PNG) with their annotated words in reading order. */
export const funsd = (corpus, limit) =>
  annotated(join(corpus, 'funsd/images'), 'png', limit, (id) => funsdGtText(join(corpus, 'funsd/annotations', `${id}.json`)));

/**
 * The corpus PDFs that have ground truth, split into those whose pages are
 * images (`scanned` in pdfs.json's kind) and the born-digital rest. A
 * `.page1.txt` truth of a longer file covers its first page only, so only that
 * page is read; the linn brochure's text stands once on each page of a file
 * that repeats it (cardinal: the page at 0, 90, 180 and 270 degrees).
 */
export function pdfs(corpus, scanned) {
  const dir = join(corpus, 'pdfs');
  const list = JSON.parse(readFileSync(join(dir, 'pdfs.json'), 'utf8'));
  return list
    .filter((d) => d.gt_file && d.kind.includes('scanned') === scanned)
    .map((d) => {
      const text = readFileSync(join(dir, d.gt_file), 'utf8');
      const firstOnly = d.gt_file.endsWith('.page1.txt') && d.pages > 1;
      const repeated = d.gt_file === 'gt/ocrmypdf_linn.reference.txt';
      return {
        name: d.file,
        data: readFileSync(join(dir, d.file)),
        truth: repeated ? Array(d.pages).fill(text).join('\n') : text,
        password: d.password || undefined,
        firstPageOnly: firstOnly,
      };
    });
}

export const corpusPresent = (corpus) =>
  ['sroie/img', 'funsd/images', 'pdfs/pdfs.json'].every((p) => existsSync(join(corpus, p)));
