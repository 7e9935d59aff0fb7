import { describe, expect, it } from 'vitest';
import { sniffImageType, SNIFF_BYTES } from './media-type.js';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

/** A BMP file header followed by the size field of a DIB header. */
const bmpHead = (dibSize: number) => bytes('BM', [0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0], [dibSize, 0, 0, 0]);

describe('sniffImageType', () => {
  it.each([
    ['image/png', bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13], 'IHDR')],
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], 'JFIF')],
    ['image/jpeg', bytes([0xff, 0xd8, 0xff, 0xe1, 0, 16], 'Exif')],
    ['image/tiff', bytes('II', [42, 0, 8, 0, 0, 0])],
    ['image/tiff', bytes('MM', [0, 42, 0, 0, 0, 8])],
    ['image/tiff', bytes('II', [43, 0, 8, 0, 0, 0])],
    ['image/webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')],
    ['image/gif', bytes('GIF87a', [1, 0, 1, 0])],
    ['image/gif', bytes('GIF89a', [1, 0, 1, 0])],
    ['image/bmp', bmpHead(40)],
    ['image/bmp', bmpHead(124)],
    ['image/bmp', bmpHead(12)],
  ])('detects %s', (expected, head) => {
    expect(sniffImageType(head)).toBe(expected);
  });

  it.each([
    ['empty input', new Uint8Array(0)],
    ['plain text', bytes('Invoice 12345 Total 42.00')],
    ['text starting with BM', bytes('BMW service invoice 2024')],
    ['a BMP signature with an unknown header size', bmpHead(41)],
    ['a BMP signature cut before its header size', bytes('BM', [0, 0, 0, 0])],
    ['a PNG signature cut short', bytes([0x89], 'PNG\r\n')],
    ['a RIFF file that is not WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')],
    ['GIF with an unknown version', bytes('GIF90a', [1, 0, 1, 0])],
    ['TIFF magic with the wrong version', bytes('II', [41, 0, 8, 0])],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg">')],
    ['PDF', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3')],
    ['ICO', bytes([0, 0, 1, 0, 1, 0, 16, 16])],
  ])('rejects %s', (_name, head) => {
    expect(sniffImageType(head)).toBeUndefined();
  });

  it('needs no more than SNIFF_BYTES bytes', () => {
    const head = new Uint8Array(64);
    head.set(bmpHead(40));
    expect(sniffImageType(head.subarray(0, SNIFF_BYTES))).toBe('image/bmp');
    expect(sniffImageType(head.subarray(0, SNIFF_BYTES - 1))).toBeUndefined();
  });
});
