// The pages the bench OCRs: SROIE receipts from the shared corpus when it is
// there, plus a few generated pages of known text so it also runs without it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { sroieGtText } from './score.mjs';

const INVOICE = [
  'INVOICE 2024-0117',
  'Example Trading Ltd, 12 Harbour Road, Leeds',
  'Date 17/01/2024 Due 16/02/2024',
  'Item Qty Unit Amount',
  'Copy paper A4 500 sheets 10 4.50 45.00',
  'Toner cartridge black 2 61.20 122.40',
  'Delivery 1 8.95 8.95',
  'Subtotal 176.35',
  'VAT 20% 35.27',
  'TOTAL 211.62',
];

const PROSE = [
  'The quick brown fox jumps over the lazy dog while',
  'five boxing wizards jump quickly. Pack my box with',
  'five dozen liquor jugs, then sphinx of black quartz,',
  'judge my vow. How vexingly quick daft zebras jump!',
  'Receipts, invoices and letters arrive as scans or',
  'phone photos; the service reads them and keeps the',
  'words with their positions on the page (2024-03-09).',
];

function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Lines of black text on a white page, roughly a 300 dpi scan's proportions. */
export function renderPage(lines, { width = 1700, fontSize = 38 } = {}) {
  const lineHeight = Math.round(fontSize * 1.7);
  const height = lineHeight * (lines.length + 2);
  const text = lines
    .map((l, i) => `<text x="90" y="${lineHeight * (i + 1.5)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}">${escapeXml(l)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: '#fff' });
}

/** Generated pages: a PNG invoice, a JPEG paragraph, and the invoice as a sideways phone JPEG (EXIF orientation 6). */
export async function generatedPages() {
  const invoice = renderPage(INVOICE);
  const sideways = await renderPage(INVOICE).rotate(-90).jpeg({ quality: 92 }).toBuffer();
  return [
    { name: 'generated/invoice.png', set: 'generated', original: await invoice.png().toBuffer(), truth: INVOICE.join('\n') },
    { name: 'generated/prose.jpg', set: 'generated', original: await renderPage(PROSE).jpeg({ quality: 92 }).toBuffer(), truth: PROSE.join('\n') },
    {
      name: 'generated/invoice-exif6.jpg',
      set: 'generated',
      original: await sharp(sideways).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer(),
      truth: INVOICE.join('\n'),
    },
  ];
}

/** SROIE receipts with their box transcripts in reading order, or [] when the corpus is absent. */
export function sroiePages(corpus, limit) {
  const dir = join(corpus, 'sroie');
  if (!existsSync(join(dir, 'img'))) return [];
  const ids = readdirSync(join(dir, 'img')).filter((f) => f.endsWith('.jpg')).sort().map((f) => f.slice(0, -4));
  return ids.slice(0, limit).map((id) => ({
    name: `sroie/${id}.jpg`,
    set: 'sroie',
    original: readFileSync(join(dir, 'img', `${id}.jpg`)),
    truth: sroieGtText(join(dir, 'box', `${id}.csv`)),
  }));
}

/** Runs fn over items with at most n in flight; returns results in input order. */
export async function mapLimit(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
