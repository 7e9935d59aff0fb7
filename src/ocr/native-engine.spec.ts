import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { distance } from 'fastest-levenshtein';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a4Image, textImage } from '../../test/support/images.js';
import { backNearIdle, MB, settledRss } from '../../test/support/memory.js';
import { DocumentError, ErrorCode } from '../common/app-error.js';
import { OcrPool } from './ocr-pool.js';
import type { OcrPage } from './ocr-types.js';

// The native engine is a supported configuration: CI installs `tesseract-ocr`
// (scripts/test.sh), so a missing binary fails here rather than skipping.

const PAGE = [
  'INVOICE 2024-0117',
  'Example Trading Ltd, 12 Harbour Road, Leeds',
  'Copy paper A4 500 sheets 10 4.50 45.00',
  'Toner cartridge black 2 61.20 122.40',
  'TOTAL 211.62',
];

const normalised = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The shape of a page with its values replaced by their types, lists by their first element's shape. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort().map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

/** Pids of this process's native engine processes, from /proc. */
function engineProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('native-engine.process');
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

describe('native engine against tesseract.js', () => {
  let js: OcrPool;
  let native: OcrPool;
  beforeAll(async () => {
    const installed = (error: Error) => {
      throw new Error(`Tesseract is not installed: apt-get install -y tesseract-ocr (${error.message})`);
    };
    [js, native] = await Promise.all([OcrPool.create({ size: 1 }), OcrPool.create({ size: 1, engine: 'native' }).catch(installed)]);
  });
  afterAll(() => Promise.all([js?.close(), native?.close()]));

  const images: [string, () => Promise<Buffer>][] = [
    ['test/fixtures/invoice.png', () => readFile(join(import.meta.dirname, '../../test/fixtures/invoice.png'))],
    ['a generated page', () => textImage(PAGE)],
  ];

  it.each(images)('reads %s into the same structure with near-identical text', async (_, load) => {
    const image = await load();
    const [a, b]: OcrPage[] = await Promise.all([js.recognize(image), native.recognize(image)]);
    expect(shape(b)).toEqual(shape(a));
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    expect(Math.abs(b.lines.length - a.lines.length)).toBeLessThanOrEqual(1);
    const words = (p: OcrPage) => p.lines.flatMap((l) => l.words);
    expect(Math.abs(words(b).length - words(a).length)).toBeLessThanOrEqual(2);
    expect(distance(normalised(b.text), normalised(a.text))).toBeLessThanOrEqual(normalised(a.text).length * 0.03);
    // Same words in the same places: nearly every native word has a tesseract.js
    // twin of the same text whose box is within a few pixels.
    const near = (x: number, y: number) => Math.abs(x - y) < 8;
    const twins = words(b).filter((w) =>
      words(a).some((t) => t.text === w.text && near(t.bbox.x0, w.bbox.x0) && near(t.bbox.y0, w.bbox.y0) && near(t.bbox.x1, w.bbox.x1)),
    );
    expect(twins.length).toBeGreaterThanOrEqual(words(b).length * 0.9);
    expect(b.confidence).toBeGreaterThan(50);
  });

  it('reads the generated page right', async () => {
    const page = await native.recognize(await textImage(PAGE));
    expect(page.lines.map((l) => l.text)).toEqual(PAGE);
    expect(page.text).toContain('TOTAL 211.62');
  });

  it('refuses bytes that are not an image as a document problem', async () => {
    await expect(native.recognize(Buffer.from('not an image at all'))).rejects.toSatisfy(
      (e) => e instanceof DocumentError && e.code === ErrorCode.CORRUPT_FILE,
    );
  });

  it('stops the process of an aborted call and keeps serving', async () => {
    const busy = await textImage(Array.from({ length: 40 }, (_, i) => `Line ${i} of a long page with plenty of words 0123456789`), { width: 2200 });
    const controller = new AbortController();
    const call = native.recognize(busy, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    const page = await native.recognize(await textImage(['Still here 42']));
    expect(normalised(page.text)).toBe('Still here 42');
  });

  it('gives the memory of a page back to the system once it is read', async () => {
    const [pid] = engineProcesses();
    const lines = Array.from({ length: 30 }, (_, i) => `Line ${i + 1} of an A4 page at 300 dpi, amount ${i * 3}.25`);
    const a4 = await a4Image(lines);
    const before = await settledRss(pid!);
    expect((await native.recognize(a4)).text).toContain('Line 30 of an A4 page');
    // Tesseract frees the page, but malloc kept it for the process: 79 -> 107 MB before, 79 -> 85 MB since.
    await backNearIdle(pid!, before, 15 * MB);
  });

  it('fails only the running call when its engine process dies, and serves on with a new one', async () => {
    const before = engineProcesses();
    expect(before).toHaveLength(1);
    const busy = await textImage(Array.from({ length: 40 }, (_, i) => `Line ${i} of a long page with plenty of words 0123456789`), { width: 2200 });
    const call = native.recognize(busy);
    process.kill(before[0]!, 'SIGKILL'); // as the OOM killer would
    await expect(call).rejects.toMatchObject({ code: ErrorCode.INTERNAL, message: expect.stringContaining('SIGKILL') });
    const page = await native.recognize(await textImage(['Again 42']));
    expect(normalised(page.text)).toBe('Again 42');
    expect(engineProcesses()).not.toContain(before[0]);
  });
});

describe('native orientation detection', () => {
  let js: OcrPool;
  let native: OcrPool;
  beforeAll(async () => {
    [js, native] = await Promise.all([
      OcrPool.create({ size: 1, purpose: 'orientation' }),
      OcrPool.create({ size: 1, engine: 'native', purpose: 'orientation' }),
    ]);
  });
  afterAll(() => Promise.all([js?.close(), native?.close()]));

  it.each([0, 90, 180, 270])('finds the turn that sets a page turned %i degrees upright, as tesseract.js does', async (turn) => {
    const image = await sharp(await readFile(join(import.meta.dirname, '../../test/fixtures/invoice.png'))).rotate(turn).png().toBuffer();
    const [a, b] = await Promise.all([js.detectOrientation(image), native.detectOrientation(image)]);
    expect(b.rotation).toBe((360 - turn) % 360);
    expect(b.rotation).toBe(a.rotation);
    expect(b.confidence).toBeGreaterThan(1);
  });

  it('reports a page with too little text to tell as upright, with confidence 0', async () => {
    const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ffffff' } }).png().toBuffer();
    expect(await native.detectOrientation(blank)).toEqual({ rotation: 0, confidence: 0 });
  });

  it('reads no text on an orientation engine', async () => {
    await expect(native.recognize(await textImage(['Not for this engine']))).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  });
});

describe('native engine start-up', () => {
  it('fails clearly, leaving no process behind, when a language is not installed', async () => {
    await expect(OcrPool.create({ size: 1, engine: 'native', languages: ['xyz'] })).rejects.toMatchObject({
      code: ErrorCode.INTERNAL,
      message: expect.stringMatching(/failed to start: .*xyz/),
    });
    expect(engineProcesses()).toEqual([]);
  });
});

describe('native engine languages', () => {
  it('reads German with Debian\'s German model on an engine started for it', async () => {
    const pool = await OcrPool.create({ size: 1, engine: 'native', installed: ['eng', 'deu'] });
    try {
      const page = await pool.recognize(await textImage(['Größe Übermäßig schön']), { languages: ['deu'] });
      expect(normalised(page.text)).toBe('Größe Übermäßig schön');
    } finally {
      await pool.close();
    }
  });

  it('fails to start naming the Debian package when an installed language has no model', async () => {
    await expect(OcrPool.create({ size: 1, engine: 'native', installed: ['eng', 'ita'] })).rejects.toMatchObject({
      code: ErrorCode.INTERNAL,
      message: expect.stringContaining('apt-get install tesseract-ocr-ita'),
    });
  });
});
