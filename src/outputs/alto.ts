import type { BBox } from '../ocr/ocr-types.js';
import { type LayoutPage, layoutPages } from './output-layout.js';
import type { OutputOptions } from './output-options.js';
import type { OutputPage } from './output-types.js';
import { escapeXml } from './xml-text.js';

const NAMESPACE = 'http://www.loc.gov/standards/alto/ns-v4#';
const SCHEMA_LOCATION = 'http://www.loc.gov/standards/alto/v4/alto-4-4.xsd';

/**
 * The pages as ALTO 4.4 (valid against the official XSD, see
 * `test/fixtures/alto`), in pixels: a `Page` per page (`PHYSICAL_IMG_NR` is the
 * page number, `PC` its mean word confidence 0–1), a `PrintSpace` covering it,
 * one `TextBlock` around all of its lines (the stored result keeps lines, not
 * Tesseract's blocks), `TextLine`s of `String`s with `WC` 0–1, and an `SP` for
 * the gap between two words. Ids are NCNames made from the page number
 * (`page_3`, `block_3_1`, `line_3_2`, `string_3_7`), so unique in the file.
 * A page without words has an empty `PrintSpace`.
 */
export function renderAlto(pages: OutputPage[], options: OutputOptions = {}): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alto xmlns="${NAMESPACE}" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${NAMESPACE} ${SCHEMA_LOCATION}">`,
    ' <Description>',
    '  <MeasurementUnit>pixel</MeasurementUnit>',
    '  <sourceImageInformation>',
    `   <fileName>${escapeXml(options.imageName ?? 'document')}</fileName>`,
    '  </sourceImageInformation>',
    '  <Processing ID="processing_1">',
    '   <processingSoftware>',
    `    <softwareName>${escapeXml(options.ocrSystem ?? 'tesseract')}</softwareName>`,
    '   </processingSoftware>',
    '  </Processing>',
    ' </Description>',
    ' <Layout>',
  ];
  for (const page of layoutPages(pages)) out.push(...altoPage(page));
  out.push(' </Layout>', '</alto>', '');
  return out.join('\n');
}

function altoPage(page: LayoutPage): string[] {
  const n = page.number;
  const size = `WIDTH="${page.width}" HEIGHT="${page.height}"`;
  const pc = page.textBox ? ` PC="${fraction(page.confidence)}"` : '';
  const out = [`  <Page ID="page_${n}" PHYSICAL_IMG_NR="${n}" ${size}${pc}>`];
  if (!page.textBox) {
    out.push(`   <PrintSpace HPOS="0" VPOS="0" ${size}/>`, '  </Page>');
    return out;
  }
  out.push(`   <PrintSpace HPOS="0" VPOS="0" ${size}>`, `    <TextBlock ID="block_${n}_1" ${position(page.textBox)}>`);
  let stringId = 0;
  page.lines.forEach((line, i) => {
    out.push(`     <TextLine ID="line_${n}_${i + 1}" ${position(line.bbox)}>`);
    line.words.forEach((word, j) => {
      const previous = line.words[j - 1];
      if (previous) {
        const gap = Math.max(0, word.bbox.x0 - previous.bbox.x1);
        out.push(`      <SP WIDTH="${gap}" HPOS="${previous.bbox.x1}" VPOS="${line.bbox.y0}"/>`);
      }
      stringId += 1;
      const attributes = `ID="string_${n}_${stringId}" ${position(word.bbox)} WC="${fraction(word.confidence)}"`;
      out.push(`      <String ${attributes} CONTENT="${escapeXml(word.text)}"/>`);
    });
    out.push('     </TextLine>');
  });
  out.push('    </TextBlock>', '   </PrintSpace>', '  </Page>');
  return out;
}

function position(b: BBox): string {
  return `HPOS="${b.x0}" VPOS="${b.y0}" WIDTH="${b.x1 - b.x0}" HEIGHT="${b.y1 - b.y0}"`;
}

/** A 0–100 confidence as ALTO's 0–1, to the hundredth Tesseract's integer confidences carry. */
function fraction(confidence: number): string {
  return String(Math.round(confidence) / 100);
}
