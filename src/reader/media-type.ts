/**
 * The image types ocrflow accepts, as MIME strings. Anything else (SVG, HEIF, PDF
 * here, ICO, ...) is refused before a decoder sees it: sharp would happily render
 * an SVG, and every extra decoder is extra attack surface.
 */
export type ImageMediaType =
  | 'image/png'
  | 'image/jpeg'
  | 'image/tiff'
  | 'image/webp'
  | 'image/bmp'
  | 'image/gif';

/** How many leading bytes {@link sniffImageType} needs to recognise every type. */
export const SNIFF_BYTES = 18;

/** BITMAPCOREHEADER, BITMAPINFOHEADER, its V2/V3 extensions, OS/2 v2, V4 and V5. */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((b, i) => head[offset + i] === b);
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

function readUint32LE(head: Uint8Array, offset: number): number {
  return (
    (head[offset] | (head[offset + 1] << 8) | (head[offset + 2] << 16) | (head[offset + 3] << 24)) >>> 0
  );
}

/**
 * Detects an image type from its magic bytes; the client's Content-Type and file
 * name are not trusted. Pure and cheap: pass the first {@link SNIFF_BYTES} bytes
 * (more is fine).
 *
 * "BM" alone is also how plenty of text starts, so a BMP additionally needs a
 * known DIB header size at byte 14; such text is then reported as unsupported
 * rather than as a corrupt bitmap.
 *
 * @returns the MIME type, or `undefined` when the bytes are none of the accepted types.
 */
export function sniffImageType(head: Uint8Array): ImageMediaType | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  // Classic TIFF (42) in both byte orders, and BigTIFF (43), which libtiff also reads.
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'image/tiff';
  }
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) {
    return 'image/tiff';
  }
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('BM')) && head.length >= SNIFF_BYTES) {
    if (BMP_DIB_HEADER_SIZES.has(readUint32LE(head, 14))) return 'image/bmp';
  }
  return undefined;
}
