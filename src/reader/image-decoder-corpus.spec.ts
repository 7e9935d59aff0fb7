import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, corpusHas } from '../../test/support/corpus.js';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { inspectImage, prepareForOcr } from './image-decoder.js';

// The shared corpus (hostile files from Pillow's and OCRmyPDF's test suites,
// tesseract.js's test images) sits beside the project in CI and working copies,
// never in the repository; users of the project do not have it.
const corpus = CORPUS_DIR;
const present = corpusHas(join('edge', 'edge.json'), 'image-decoder-corpus');

const LIMITS = { maxPixels: 40_000_000, maxDimension: 20_000 };
const read = (file: string) => readFileSync(join(corpus, file));

async function outcome(file: string): Promise<string> {
  try {
    const info = await inspectImage(read(file), LIMITS);
    await prepareForOcr(read(file), LIMITS);
    return `ok ${info.width}x${info.height}x${info.pages}`;
  } catch (error) {
    if (error instanceof DocumentError) return error.code;
    throw error;
  }
}

/** Mean absolute grey-level difference of two prepared pages of the same size. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((png) => sharp(png).greyscale().raw().toBuffer()));
  expect(x.length).toBe(y.length);
  return x.reduce((sum, v, i) => sum + Math.abs(v - y[i]), 0) / x.length;
}

describe.skipIf(!present)('image decoding of the shared corpus (edge/ and tessjs/)', () => {
  // Expectations from edge/NOTES.md: reject fast with a clear code, or decode.
  it.each([
    ['pillow/decompression_bomb.gif', ErrorCode.CORRUPT_FILE],
    ['pillow/decompression_bomb.ico', ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['pillow/decompression_bomb_extents.gif', 'ok 100x100x2'],
    ['pillow/zero_width.gif', ErrorCode.CORRUPT_FILE],
    ['pillow/reallybig.bmp', ErrorCode.IMAGE_TOO_LARGE],
    ['pillow/broken.png', ErrorCode.CORRUPT_FILE],
    ['pillow/broken_data_stream.png', ErrorCode.CORRUPT_FILE],
    ['pillow/truncated_image.png', ErrorCode.CORRUPT_FILE],
    ['pillow/truncated_end_chunk.png', 'ok 128x128x1'], // every row is there; only IEND is cut
    ['pillow/truncated_jpeg.jpg', ErrorCode.CORRUPT_FILE],
    ['pillow/junk_jpeg_header.jpg', 'ok 1024x768x1'],
    ['pillow/icc-after-SOF.jpg', 'ok 10x10x1'],
    ['pillow/hopper_bad_exif.jpg', 'ok 500x500x1'],
    ['pillow/exif-dpi-zerodivision.jpg', 'ok 200x200x1'],
    ['pillow/crash-86214e58da443d2b80820cff9677a38a33dcbbca.tif', ErrorCode.CORRUPT_FILE],
    ['pillow/crash-0da013a13571cc8eb457a39fee8db18f8a3c7127.tif', ErrorCode.CORRUPT_FILE],
    ['pillow/oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif', ErrorCode.CORRUPT_FILE],
    ['pillow/tiff_overflow_rows_per_strip.tif', ErrorCode.CORRUPT_FILE],
    ['pillow/multipage.tiff', 'ok 10x10x3'],
    ['synthetic/png_dims_bomb_100000x100000.png', ErrorCode.IMAGE_TOO_LARGE],
    ['synthetic/png_zlib_bomb_16384x16384.png', ErrorCode.IMAGE_TOO_LARGE],
  ])('edge/%s -> %s', async (file, expected) => {
    expect(await outcome(join('edge', file))).toBe(expected);
  });

  it('rejects the 100000x100000 PNG header in the worker path too', async () => {
    const bomb = read('edge/synthetic/png_dims_bomb_100000x100000.png');
    await expect(prepareForOcr(bomb, LIMITS)).rejects.toMatchObject({ code: ErrorCode.IMAGE_TOO_LARGE });
  });

  it.each([2, 3, 4, 5, 6, 7, 8])('EXIF orientation %i gives the same upright photo as hopper.jpg', async (n) => {
    const upright = await prepareForOcr(read('edge/pillow/hopper.jpg'), LIMITS);
    const oriented = await prepareForOcr(read(`edge/pillow/hopper_orientation_${n}.jpg`), LIMITS);
    expect(await difference(oriented.image!, upright.image!)).toBeLessThan(8);
  });

  it.each([6, 8])('TIFF orientation tag %i is honoured', async (n) => {
    const upright = await prepareForOcr(read('edge/pillow/g4_orientation_1.tif'), LIMITS);
    const oriented = await prepareForOcr(read(`edge/pillow/g4_orientation_${n}.tif`), LIMITS);
    expect([oriented.width, oriented.height]).toEqual([upright.width, upright.height]);
    expect(await difference(oriented.image!, upright.image!)).toBeLessThan(8);
  });

  it.each(['simple.png', 'simple.jpg', 'simple.bmp', 'simple.gif', 'simple.webp', 'simple-90.jpg', 'simple-180.jpg', 'simple-270.jpg'])(
    'tessjs/images/%s prepares to the same upright page as simple.png',
    async (file) => {
      const reference = await prepareForOcr(read('tessjs/images/simple.png'), LIMITS);
      const prepared = await prepareForOcr(read(`tessjs/images/${file}`), LIMITS);
      expect([prepared.width, prepared.height]).toEqual([reference.width, reference.height]);
      expect(await difference(prepared.image!, reference.image!)).toBeLessThan(8);
    },
  );
});
