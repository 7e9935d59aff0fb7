/**
 * How the text stands on a page image, measured on a small greyscale copy
 * before OCR: how far its lines are tilted (skew), and which blank rows split
 * it into bands that separate OCR engines can read at the same time.
 *
 * Measuring the tilt here replaces tesseract.js's `rotateAuto`, which finds
 * the page's lines with a full layout analysis at PSM 3 and then reads the
 * page again from scratch: 30 % of the OCR time of an A4 receipt scan
 * (1.70 s against 1.19 s), where this costs milliseconds.
 */

/** Rows `[y0, y1)` of a page image. */
export interface Band {
  y0: number;
  y1: number;
}

/** A greyscale image, one byte per pixel, row after row. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface PageLayout {
  /** Clockwise degrees the text lines are tilted; 0 when under {@link MIN_SKEW_DEGREES} or unsure. */
  skew: number;
  /**
   * Rows of the page straightened by `skew` (turned anticlockwise about its
   * centre, same size) in bands cut at blank rows, in scaled-up pixels of the
   * page; one band covering the page when it cannot or need not be split.
   */
  bands: Band[];
}

/** Tilts are searched within this many degrees either way, as Leptonica's pixFindSkew does. */
const SWEEP_DEGREES = 7;
/**
 * The sweep's step, then the finer search's around its best. A 1-degree sweep
 * was tried and landed on a wrong peak of a curled receipt (-3.2 degrees for -1.55).
 */
const STEPS = [0.5, 0.05];
/**
 * Smaller tilts are left to Tesseract, which reads them well: redrawing the
 * page costs sharpness. At 0.3 degrees (tesseract.js's `rotateAuto` turns from
 * 0.29) a 72 dpi FUNSD form straightened by -0.45 degrees went from CER 10.4
 * to 38.2; at 1 degree, bench/accuracy's FUNSD set went from median 29.6 /
 * mean 30.5 to 27.6 / 28.9, receipts and the pages tilted 3 and -7 degrees
 * unchanged (15.6 / 15.4 and 0.0).
 */
const MIN_SKEW_DEGREES = 1;
/**
 * The best angle's score must be this many times the sweep's worst, as in
 * Leptonica (MIN_ALLOWED_CONFIDENCE): a photo or a blank page has no angle
 * that lines its ink up into rows.
 */
const MIN_CONFIDENCE = 3;
/** Ink pixels scored per angle when measuring the tilt; more are sampled evenly (blank rows are found with all of them). */
const SKEW_POINTS = 50_000;
/** A row with at most this share of its pixels dark counts as blank (specks of noise). */
const BLANK_ROW_INK = 0.002;
/**
 * Rows count as a line of text when the inkiest has at least this share of
 * its pixels dark: a short line such as "Pax: 6" has about 2 %, a speck 0.1-0.4 %.
 * Counting specks as lines balanced a receipt strewn with scanner noise badly:
 * its bands held 7 and 27 of Tesseract's lines and took 102 and 427 ms.
 */
const LINE_INK = 0.01;
/** A band is not made shorter than this many rows of the small copy, */
const MIN_BAND_ROWS = 40;
/** nor given fewer lines than this: Tesseract sizes its text from the lines it is given. */
const MIN_LINES = 8;

/**
 * The page's tilt and bands. `grey` is a copy of the page scaled by `scale`
 * (a row y of the copy is row y / scale of the page); `bands` is how many
 * pieces are wanted (1: none).
 */
export function measureLayout(grey: GreyImage, scale: number, { deskew, bands }: { deskew: boolean; bands: number }): PageLayout {
  const fullHeight = Math.round(grey.height / scale);
  const whole: PageLayout = { skew: 0, bands: [{ y0: 0, y1: fullHeight }] };
  const ink = inkPoints(grey);
  if (ink.count === 0) return whole;
  const skew = deskew ? measureSkew(ink, grey) : 0;
  if (bands <= 1) return { ...whole, skew };
  const cuts = bandCuts(rowInk(ink, grey, skew), grey.width, bands).map((row) => Math.min(fullHeight, Math.round(row / scale)));
  const edges = [0, ...cuts, fullHeight];
  return { skew, bands: edges.slice(1).map((y1, i) => ({ y0: edges[i]!, y1 })) };
}

interface Ink {
  xs: Int32Array;
  ys: Int32Array;
  count: number;
}

/** The dark pixels, by Otsu's threshold: one pass to count grey levels, one to collect. */
function inkPoints({ data, width, height }: GreyImage): Ink {
  const histogram = greyLevels(data);
  const threshold = otsuOf(histogram, data.length);
  let count = 0;
  for (let v = 0; v < threshold; v++) count += histogram[v]!;
  const xs = new Int32Array(count);
  const ys = new Int32Array(count);
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width; x < width; x++, i++) {
      if (data[i]! < threshold) {
        xs[n] = x;
        ys[n] = y;
        n++;
      }
    }
  }
  return { xs, ys, count };
}

/** Otsu's threshold: the grey level that best separates dark from light. */
export function otsu(data: Uint8Array): number {
  return otsuOf(greyLevels(data), data.length);
}

/** How many pixels have each grey level. */
function greyLevels(data: Uint8Array): Float64Array {
  const histogram = new Float64Array(256);
  for (let i = 0; i < data.length; i++) histogram[data[i]!]!++;
  return histogram;
}

function otsuOf(histogram: Float64Array, total: number): number {
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * histogram[v]!;
  let below = 0;
  let sumBelow = 0;
  let best = 0;
  let threshold = 128;
  for (let v = 0; v < 256; v++) {
    below += histogram[v]!;
    if (below === 0) continue;
    const above = total - below;
    if (above === 0) break;
    sumBelow += v * histogram[v]!;
    const between = below * above * (sumBelow / below - (sumAll - sumBelow) / above) ** 2;
    if (between > best) {
      best = between;
      threshold = v + 1;
    }
  }
  return threshold;
}

/**
 * The tilt that lines the ink up into the sharpest rows: for each angle the
 * ink is projected onto rows along it and scored by the sum of squared
 * differences between neighbouring rows (Leptonica's differential square
 * sum); a coarse sweep, then finer searches around the best.
 */
function measureSkew(ink: Ink, grey: GreyImage): number {
  const stride = Math.max(1, Math.ceil(ink.count / SKEW_POINTS));
  const score = (degrees: number) => shearScore(ink, grey, degrees, stride);
  const angles = (from: number, to: number, step: number) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);
  const sweep = angles(-SWEEP_DEGREES, SWEEP_DEGREES, STEPS[0]!).map((degrees) => ({ degrees, score: score(degrees) }));
  const worst = Math.min(...sweep.map((a) => a.score));
  let best = sweep.reduce((a, b) => (b.score > a.score ? b : a));
  for (let i = 1; i < STEPS.length; i++) {
    for (const degrees of angles(best.degrees - STEPS[i - 1]!, best.degrees + STEPS[i - 1]!, STEPS[i]!)) {
      const s = score(degrees);
      if (s > best.score) best = { degrees, score: s };
    }
  }
  if (worst <= 0 || best.score / worst < MIN_CONFIDENCE) return 0;
  const skew = Math.round(best.degrees * 100) / 100;
  return Math.abs(skew) < MIN_SKEW_DEGREES ? 0 : skew;
}

/** Differential square sum of every `stride`-th ink pixel projected along lines tilted `degrees` clockwise. */
function shearScore(ink: Ink, grey: GreyImage, degrees: number, stride: number): number {
  const slope = Math.tan((degrees * Math.PI) / 180);
  const offset = Math.ceil(Math.abs(slope) * grey.width) + 1;
  const rows = new Float64Array(grey.height + 2 * offset);
  for (let i = 0; i < ink.count; i += stride) rows[Math.round(ink.ys[i]! - ink.xs[i]! * slope) + offset]!++;
  let score = 0;
  for (let r = 1; r < rows.length; r++) score += (rows[r]! - rows[r - 1]!) ** 2;
  return score;
}

/** The ink of the page straightened by `skew` (turned anticlockwise about its centre), row by row. */
interface RowInk {
  /** Ink pixels per row. */
  counts: Float64Array;
  /** The ink's columns, row after row: those of row y are `xs[starts[y]]` up to `xs[starts[y + 1]]`. */
  xs: Float64Array;
  starts: Int32Array;
}

function rowInk(ink: Ink, grey: GreyImage, skew: number): RowInk {
  const radians = (skew * Math.PI) / 180;
  const [cos, sin] = [Math.cos(radians), Math.sin(radians)];
  const [cx, cy] = [grey.width / 2, grey.height / 2];
  const rowOf = new Int32Array(ink.count);
  const counts = new Float64Array(grey.height);
  for (let i = 0; i < ink.count; i++) {
    const y = Math.round(cy + (ink.ys[i]! - cy) * cos - (ink.xs[i]! - cx) * sin);
    rowOf[i] = y >= 0 && y < grey.height ? y : -1;
    if (rowOf[i]! >= 0) counts[y]!++;
  }
  const starts = new Int32Array(grey.height + 1);
  for (let y = 0; y < grey.height; y++) starts[y + 1] = starts[y]! + counts[y]!;
  const xs = new Float64Array(starts[grey.height]!);
  const next = starts.slice(0, grey.height);
  for (let i = 0; i < ink.count; i++) {
    const y = rowOf[i]!;
    if (y >= 0) xs[next[y]!++] = cx + (ink.xs[i]! - cx) * cos + (ink.ys[i]! - cy) * sin;
  }
  return { counts, xs, starts };
}

/**
 * How long Tesseract takes over a line, relative to other lines: the width of
 * its ink, between its 2nd and 98th percentile columns so that a speck of
 * scanner noise at the page's edge does not stretch it. Measured with the
 * native CLI at PSM 6 on three receipts' bands, the width alone balanced them
 * best; dividing it by the line's height (the LSTM reads lines scaled to one
 * height) put SROIE 050's cut too low (330 and 219 ms, against 276 and 271).
 */
function lineWeight({ xs, starts }: RowInk, y0: number, y1: number): number {
  const columns = xs.slice(starts[y0]!, starts[y1]!).sort();
  const at = (share: number) => columns[Math.floor(share * (columns.length - 1))]!;
  return at(0.98) - at(0.02) + 1;
}

/**
 * Rows (of the small copy) at which to cut into `parts` bands that take
 * Tesseract about as long each (lines weighed by {@link lineWeight}): the
 * middle of the blank gap nearest each share, so that no line of text is cut
 * and each band keeps half a gap of margin. A barcode or logo is heavy with
 * ink but weighs as one wide line; a band of little but such
 * a block reads badly (a receipt's header cut off under its barcode came out
 * as noise), and each band must hold {@link MIN_LINES} lines. A share with no
 * blank gap near it is not cut.
 *
 * Counting lines alone left a receipt (SROIE 050) with its short centred
 * header lines in one band and its long item lines in the other: 245 and
 * 298 ms of the CLI; 276 and 271 ms weighed.
 */
function bandCuts(rows: RowInk, width: number, parts: number): number[] {
  const profile = rows.counts;
  const blank = Math.max(1, BLANK_ROW_INK * width);
  const gaps: Array<{ row: number; linesAbove: number; weightAbove: number }> = [];
  let lines = 0;
  let weight = 0;
  for (let y = 0; y < profile.length; ) {
    if (profile[y]! > blank) {
      const start = y;
      let peak = 0;
      for (; y < profile.length && profile[y]! > blank; y++) peak = Math.max(peak, profile[y]!);
      // Specks of scanner noise are not cut through, but are not lines to read either.
      if (peak >= LINE_INK * width) {
        lines++;
        weight += lineWeight(rows, start, y);
      }
      continue;
    }
    const start = y;
    while (y < profile.length && profile[y]! <= blank) y++;
    // Only gaps between lines: not the margins above the first or below the last.
    if (lines > 0 && y < profile.length && y - start >= 2) gaps.push({ row: Math.floor((start + y) / 2), linesAbove: lines, weightAbove: weight });
  }
  if (lines < MIN_LINES * parts) return [];
  const cuts: typeof gaps = [];
  for (let k = 1; k < parts; k++) {
    const target = (weight * k) / parts;
    const last = cuts.at(-1) ?? { row: 0, linesAbove: 0 };
    const near = gaps
      .filter((g) => Math.abs(g.weightAbove - target) <= weight / (2 * parts))
      .filter((g) => g.row - last.row >= MIN_BAND_ROWS && profile.length - g.row >= MIN_BAND_ROWS)
      .filter((g) => g.linesAbove - last.linesAbove >= MIN_LINES && lines - g.linesAbove >= MIN_LINES * (parts - k))
      .sort((a, b) => Math.abs(a.weightAbove - target) - Math.abs(b.weightAbove - target))[0];
    if (near) cuts.push(near);
  }
  return cuts.map((cut) => cut.row);
}
