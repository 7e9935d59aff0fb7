import type { Rotation } from '../ocr/ocr-types.js';

/** A PDF transformation matrix `[a b c d e f]`: x' = a·x + c·y + e, y' = b·x + d·y + f. */
export type Matrix = [number, number, number, number, number, number];

/** A page box in PDF user space: lower-left and upper-right corners. */
export interface PageBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * From the pixels of the upright image (OCR boxes of a page turned `rotation`
 * degrees clockwise to be read) back to the pixels of the page as it stands,
 * whose upright image is `uprightWidth` × `uprightHeight`.
 */
export function uprightToPage(rotation: Rotation, uprightWidth: number, uprightHeight: number): Matrix {
  switch (rotation) {
    case 0:
      return [1, 0, 0, 1, 0, 0];
    case 90: // the page turned a quarter clockwise: its x is the upright's y
      return [0, -1, 1, 0, 0, uprightWidth];
    case 180:
      return [-1, 0, 0, -1, uprightWidth, uprightHeight];
    case 270:
      return [0, 1, -1, 0, uprightHeight, 0];
  }
}

/**
 * From the pixels of a page as a viewer shows it (origin top-left, y down, the
 * page's /Rotate applied, `width` × `height` pixels) to PDF user space, where
 * the page's content lives unturned in `box` (the CropBox, which is what pdf.js
 * renders) with y up.
 */
export function pageToUser(box: PageBox, pageRotate: number, width: number, height: number): Matrix {
  const turned = pageRotate === 90 || pageRotate === 270;
  const sx = (turned ? box.height : box.width) / width;
  const sy = (turned ? box.width : box.height) / height;
  const [left, bottom, right, top] = [box.x, box.y, box.x + box.width, box.y + box.height];
  switch (pageRotate) {
    case 90: // shown turned clockwise: the shown top-left corner is the box's bottom-left
      return [0, sx, sy, 0, left, bottom];
    case 180:
      return [-sx, 0, 0, sy, right, bottom];
    case 270:
      return [0, -sx, -sy, 0, right, top];
    default:
      return [sx, 0, 0, -sy, left, top];
  }
}

/** `first` applied, then `then` (PDF's `then cm first cm` order, as one matrix). */
export function compose(first: Matrix, then: Matrix): Matrix {
  const [a, b, c, d, e, f] = first;
  const [A, B, C, D, E, F] = then;
  return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F];
}

/** A number as PDF content streams want it: short, no exponent. */
export function num(value: number): string {
  const rounded = Math.round(value * 1000) / 1000;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

export function matrixOperands(m: Matrix): string {
  return m.map(num).join(' ');
}
