// One result page: its image with every recognised word drawn as a box
// (coloured by confidence, the word and its confidence on hover), the boxes
// of extracted fields, and the page's text beside it.

const SVG = 'http://www.w3.org/2000/svg';

/** Creates an element with attributes and children (strings become text, never markup). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

export function confidenceClass(confidence) {
  return confidence >= 85 ? 'conf-high' : confidence >= 60 ? 'conf-mid' : 'conf-low';
}

function box({ x0, y0, x1, y1 }, attributes, title) {
  return svg('rect', { x: x0, y: y0, width: x1 - x0, height: y1 - y0, ...attributes }, svg('title', {}, title));
}

/**
 * The image of a page as it stands, placed in the upright frame the boxes are
 * in: a page read turned `rotation` degrees clockwise is turned as much here.
 */
function placedImage(url, { width, height, rotation = 0 }) {
  const turned = rotation === 90 || rotation === 270;
  const transform = { 0: '', 90: `translate(${width} 0) rotate(90)`, 180: `translate(${width} ${height}) rotate(180)`, 270: `translate(0 ${height}) rotate(270)` }[rotation];
  return svg('image', {
    href: url,
    width: turned ? height : width,
    height: turned ? width : height,
    preserveAspectRatio: 'none',
    ...(transform && { transform }),
  });
}

/**
 * The view of one page of the results. `fields` are the extracted fields
 * whose evidence is on this page, as [name, field] pairs.
 * Returns the element and `showImage(url)`, called once the image is fetched.
 */
export function pageView(page, fields) {
  const heading = el('h3', {}, `Page ${page.number}`);
  if (page.error) {
    return { element: el('article', { class: 'page' }, heading, el('p', { class: 'error' }, `${page.error.code}: ${page.error.message}`)), showImage() {} };
  }
  const words = page.lines.flatMap((line) => line.words);
  const wordBoxes = words.map((word) =>
    box(word.bbox, { class: `word ${confidenceClass(word.confidence)}`, 'data-word': word.text }, `${word.text} — ${Math.round(word.confidence)} %`),
  );
  const fieldBoxes = fields.map(([name, field]) =>
    box(field.evidence.bbox, { class: 'field', 'data-field': name }, `${name}: ${field.value}`),
  );
  const paper = svg('rect', { class: 'paper', width: page.width, height: page.height });
  const drawing = svg(
    'svg',
    {
      viewBox: `0 0 ${page.width} ${page.height}`,
      role: 'img',
      'aria-label': `Page ${page.number} with ${words.length} recognised words drawn as boxes`,
      class: 'page-image',
    },
    paper,
    svg('g', {}, ...wordBoxes),
    svg('g', {}, ...fieldBoxes),
  );
  // Hover shows the word in a line under the image too, larger than a tooltip.
  const readout = el('p', { class: 'readout hint' }, 'Point at a box to see its word and confidence.');
  drawing.addEventListener('pointerover', (event) => {
    const title = event.target.closest?.('rect.word, rect.field')?.querySelector('title');
    if (title) readout.textContent = title.textContent;
  });
  const note = el('p', { class: 'hint' });
  const source = page.source === 'text-layer' ? 'text layer of the PDF' : `OCR, mean confidence ${Math.round(page.confidence)} %`;
  const element = el(
    'article',
    { class: 'page', id: `page-${page.number}` },
    heading,
    el('div', { class: 'page-body' },
      el('figure', {}, drawing, el('figcaption', {}, readout, note)),
      el('div', { class: 'page-text' }, el('h4', {}, `Text (${source})`), el('pre', { tabindex: '0' }, page.text)),
    ),
  );
  return {
    element,
    showImage(url, failure) {
      if (url) drawing.insertBefore(placedImage(url, page), paper.nextSibling);
      else note.textContent = `No page image: ${failure}`;
    },
  };
}
