import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { OcrPool } from '../../src/ocr/ocr-pool.js';
import type { OutputPage } from '../../src/outputs/output-types.js';
import { textImage } from './images.js';

/** A page as the worker stores it, read by tesseract.js from a rendered image of `lines`. */
export async function recognisedPage(number: number, lines: string[]): Promise<OutputPage> {
  const pool = await OcrPool.create({ size: 1 });
  try {
    const page = await pool.recognize(await textImage(lines));
    return { number, source: 'ocr', rotation: 0, ...page };
  } finally {
    await pool.close();
  }
}

const box = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1 });
const word = (text: string, x0: number, x1: number, confidence = 100) => ({ text, confidence, bbox: box(x0, 100.4, x1, 139.6) });

/**
 * Pages no OCR run gives but a PDF text layer can: markup characters, quotes,
 * emoji, a control character, a lone surrogate, a tab inside a word, a box past
 * the page edge, fractional boxes; a page without lines; a page whose only line
 * holds nothing XML can carry.
 */
export function awkwardPages(): OutputPage[] {
  const words = [
    word('<tag>', 10, 90),
    word('AT&T', 100, 180),
    word('"quoted"', 190, 300),
    word("it's", 310, 360),
    word('📄✓', 370, 420),
    word('a\u0007b', 430, 470),
    word('\uD800x\uFFFE', 480, 500),
    word('tab\there', 510, 640),
    word('edge', 580, 700), // past the 612-pixel page's right edge
  ];
  const line = { text: words.map((w) => w.text).join(' '), confidence: 100, bbox: box(10, 100, 700, 140), words };
  const blank = { text: '\u0001', confidence: 0, bbox: box(10, 200, 50, 240), words: [word('\u0001 ', 10, 50, 0)] };
  const textLayer = { source: 'text-layer', rotation: 0, width: 612, height: 792, dpi: 72, confidence: 100 } as const;
  return [
    { number: 2, ...textLayer, text: `${line.text}\n`, lines: [line] },
    { number: 3, ...textLayer, text: '', lines: [] },
    { number: 4, ...textLayer, text: '\u0001\n', lines: [blank] },
  ];
}

/** The words the awkward page is written with, once cleaned. */
export const AWKWARD_WORDS = ['<tag>', 'AT&T', '"quoted"', "it's", '📄✓', 'ab', 'x', 'tab here', 'edge'];

/** Whether libxml2's `xmllint` is installed (`ensure_test_tools` installs libxml2-utils). */
export const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

/** Runs `xmllint --nonet <args> -` on `xml`; the ALTO schema's XLink import resolves through `test/fixtures/alto/catalog.xml`. */
export function xmllint(args: string[], xml: string): { ok: boolean; errors: string } {
  const run = spawnSync('xmllint', ['--nonet', ...args, '-'], {
    input: xml,
    encoding: 'utf8',
    env: { ...process.env, XML_CATALOG_FILES: fileURLToPath(new URL('../fixtures/alto/catalog.xml', import.meta.url)) },
  });
  return { ok: run.status === 0, errors: run.stderr };
}

/** An XML element as {@link parseXml} gives it: attributes by name, text, children in document order. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/** `xml` as a tree of elements (fast-xml-parser; entities decoded, namespace prefixes kept). */
export function parseXml(xml: string): XmlElement {
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false });
  const toElement = (node: Record<string, unknown>): XmlElement | null => {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name || name.startsWith('?') || name === '#text') return null;
    const children = (node[name] as Record<string, unknown>[]) ?? [];
    return {
      name,
      attributes: (node[':@'] as Record<string, string>) ?? {},
      text: children.filter((c) => '#text' in c).map((c) => String(c['#text'])).join(''),
      children: children.map(toElement).filter((e): e is XmlElement => e !== null),
    };
  };
  const roots = (parser.parse(xml) as Record<string, unknown>[]).map(toElement).filter((e): e is XmlElement => e !== null);
  return roots[0];
}

/** Every element under `root` (itself included), in document order, that `match` accepts. */
export function findAll(root: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  return [...(match(root) ? [root] : []), ...root.children.flatMap((c) => findAll(c, match))];
}
