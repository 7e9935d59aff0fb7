// Renders test/fixtures/invoice.png, the sample document the README uploads.
// Generated here rather than scanned, so the repository holds no third-party document.
import sharp from 'sharp';

const lines = [
  ['ACME Office Supplies Ltd', 56, 'bold'],
  ['12 Harbour Street, Leeds LS1 4AB', 36],
  ['', 30],
  ['INVOICE No. INV-2026-0415', 44, 'bold'],
  ['Date: 2026-11-20', 36],
  ['', 30],
  ['Printer paper A4 x 10          45.00', 36],
  ['Ink cartridge black x 2        38.50', 36],
  ['Stapler heavy duty x 1         19.99', 36],
  ['', 30],
  ['Subtotal                      103.49', 36],
  ['VAT 20%                        20.70', 36],
  ['TOTAL                         124.19', 44, 'bold'],
];

let y = 90;
const text = lines
  .map(([value, size, weight = 'normal']) => {
    const line = `<text x="80" y="${y}" font-size="${size}" font-weight="${weight}" xml:space="preserve">${value}</text>`;
    y += size * 1.6;
    return line;
  })
  .join('\n');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1240" height="${Math.ceil(y + 60)}">
<rect width="100%" height="100%" fill="white"/>
<g font-family="DejaVu Sans Mono, monospace" fill="#111">${text}</g></svg>`;

await sharp(Buffer.from(svg)).greyscale().png({ compressionLevel: 9 }).toFile('test/fixtures/invoice.png');
console.log('wrote test/fixtures/invoice.png');
