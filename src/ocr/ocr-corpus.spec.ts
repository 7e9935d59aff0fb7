import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, corpusHas } from '../../test/support/corpus.js';
import { prepareForOcr } from '../reader/image-decoder.js';
import { OcrPool } from './ocr-pool.js';

// The worker's whole OCR path (prepareForOcr, then the pool) on tesseract.js's
// own test images from the shared corpus, which is beside the project in CI and
// working copies but never in the repository.
const corpus = CORPUS_DIR;
const present = corpusHas(join('tessjs', 'expected.json'), 'ocr-corpus');

const LIMITS = { maxPixels: 40_000_000, maxDimension: 20_000 };

interface Expected {
  image: string;
  lang: string;
  params: Record<string, unknown>;
  expected_text?: string;
}

/** The English cases without engine parameters, in the formats the service accepts (not PBM). */
function cases(): [string, string][] {
  if (!present) return [['(corpus absent)', '']];
  const all = JSON.parse(readFileSync(join(corpus, 'tessjs', 'expected.json'), 'utf8')) as Expected[];
  return all
    .filter((c) => c.lang === 'eng' && Object.keys(c.params).length === 0 && c.expected_text !== undefined)
    .filter((c) => !c.image.endsWith('.pbm'))
    .filter((c, i, list) => list.findIndex((o) => o.image === c.image) === i)
    .map((c) => [c.image, c.expected_text as string]);
}

describe.skipIf(!present)('OCR of tesseract.js test images (shared corpus)', () => {
  let pool: OcrPool;
  beforeAll(async () => {
    pool = await OcrPool.create({ size: 2 });
  });
  afterAll(() => pool?.close());

  // The rotated JPEGs are the same text stored sideways or upside down with an
  // EXIF orientation: they read correctly only because prepareForOcr applies it.
  it.each(cases())('%s reads as tesseract.js expects', async (image, expected) => {
    const prepared = await prepareForOcr(readFileSync(join(corpus, 'tessjs', 'images', image)), LIMITS);
    const page = await pool.recognize(prepared);
    expect(page.text).toBe(expected);
    expect([page.width, page.height]).toEqual([prepared.width, prepared.height]);
  });
});
