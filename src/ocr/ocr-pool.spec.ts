import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker as Thread } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, DocumentError, ErrorCode } from '../common/app-error.js';
import { OcrPool } from './ocr-pool.js';
import type { OcrPage } from './ocr-types.js';

const FONT_SIZE = 64;

/** Black sans-serif lines on white, as PNG: text whose transcription is known. */
function render(lines: string[], width = 1000, fontSize = FONT_SIZE): Promise<Buffer> {
  const lineHeight = Math.round(fontSize * 1.6);
  const height = lineHeight * (lines.length + 1);
  const text = lines
    .map((line, i) => `<text x="40" y="${lineHeight * (i + 1)}" font-family="sans-serif" font-size="${fontSize}">${line}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A dense page that keeps an engine busy for a second or more. */
const busyPage = () =>
  render(Array.from({ length: 45 }, (_, i) => `Line ${i} of a long page with plenty of words 0123456789`), 2200, 40);

const words = (page: OcrPage) => page.lines.flatMap((line) => line.words.map((w) => w.text));

/** Captures the worker threads tesseract.js starts while `fn` runs. */
async function capturingThreads<T>(fn: () => Promise<T>): Promise<[T, Thread[]]> {
  const threads: Thread[] = [];
  const capture = (message: unknown) => threads.push((message as { worker: Thread }).worker);
  subscribe('worker_threads', capture);
  try {
    return [await fn(), threads];
  } finally {
    unsubscribe('worker_threads', capture);
  }
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OcrPool', () => {
  let pool: OcrPool;
  beforeAll(async () => {
    pool = await OcrPool.create({ size: 2 });
  });
  afterAll(() => pool?.close());

  it('recognises rendered text with word boxes where the words are', async () => {
    const image = await render(['Invoice 12345 Total 42.00']);
    const { width, height } = await sharp(image).metadata();
    const page = await pool.recognize(image);

    expect([page.width, page.height]).toEqual([width, height]);
    expect(page.text.trim()).toBe('Invoice 12345 Total 42.00');
    expect(page.lines).toHaveLength(1);
    expect(words(page)).toEqual(['Invoice', '12345', 'Total', '42.00']);
    expect(page.confidence).toBeGreaterThan(70);
    expect(page.confidence).toBeLessThanOrEqual(100);

    const line = page.lines[0];
    let previousRight = 0;
    for (const word of line.words) {
      const { x0, y0, x1, y1 } = word.bbox;
      expect(word.confidence).toBeGreaterThan(50);
      expect(x0).toBeGreaterThanOrEqual(Math.max(previousRight, 30)); // left to right, text starts at x=40
      expect(x1).toBeLessThanOrEqual(width);
      expect(y1 - y0).toBeGreaterThan(FONT_SIZE * 0.5); // a glyph box, not a speck or the page
      expect(y1 - y0).toBeLessThan(FONT_SIZE * 1.3);
      expect(y1).toBeGreaterThan(FONT_SIZE * 1.6 * 0.9); // ends near the baseline at y=102
      expect(y0).toBeGreaterThanOrEqual(line.bbox.y0);
      expect(x1).toBeLessThanOrEqual(line.bbox.x1);
      previousRight = x1;
    }
  });

  it('serves more calls than engines, each with its own result', async () => {
    const texts = ['Order 1001', 'Receipt 2002', 'Invoice 3003', 'Ticket 4004', 'Refund 5005'];
    const images = await Promise.all(texts.map((t) => render([t], 700)));
    const pages = await Promise.all(images.map((image) => pool.recognize(image)));
    expect(pages.map((p) => p.text.trim())).toEqual(texts);
    expect(pool.engines).toBe(2);
  });

  it('counts the engines free this moment: none while calls wait, all once they are done', async () => {
    const image = await render(['Idle 42'], 500);
    expect(pool.idleEngines()).toBe(2);
    const first = pool.recognize(image);
    expect(pool.idleEngines()).toBe(1);
    const calls = [first, pool.recognize(image), pool.recognize(image)];
    expect(pool.idleEngines()).toBe(0);
    expect((await Promise.all(calls)).map((p) => p.text.trim())).toEqual(['Idle 42', 'Idle 42', 'Idle 42']);
    expect(pool.idleEngines()).toBe(2);
  });

  it('reads a page cut into bands on both engines as one page, boxes in the whole page', async () => {
    const lines = ['Order 1001 placed', 'Receipt 2002 paid', 'Invoice 3003 due', 'Refund 5005 sent'];
    const image = await render(lines);
    const { width, height } = await sharp(image).metadata();
    const whole = await pool.recognize(image);
    const cut = Math.round(FONT_SIZE * 1.6 * 2.5); // between the second and third line
    const bands = [
      { top: 0, image: await sharp(image).extract({ left: 0, top: 0, width, height: cut }).png().toBuffer() },
      { top: cut, image: await sharp(image).extract({ left: 0, top: cut, width, height: height - cut }).png().toBuffer() },
    ];
    const threadsBefore = pool.engines;
    const page = await pool.recognize({ image: null, bands });

    expect([page.width, page.height]).toEqual([width, height]);
    expect(page.lines.map((line) => line.text)).toEqual(lines);
    expect(page.text.split('\n').filter(Boolean)).toEqual(lines);
    expect(page.lines.map((line) => line.bbox)).toEqual(whole.lines.map((line) => line.bbox));
    expect(page.lines[2]!.bbox.y0).toBeGreaterThan(cut);
    expect(pool.engines).toBe(threadsBefore);
  });

  it('returns an empty page for a blank image', async () => {
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#fff' } }).png().toBuffer();
    const page = await pool.recognize(blank);
    expect(page.lines).toEqual([]);
    expect(page.text.trim()).toBe('');
  });

  it('refuses bytes that are not an image', async () => {
    await expect(pool.recognize(Buffer.from('not an image'))).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });
  });
});

describe('OcrPool cancellation and failures', () => {
  it('a band that fails fails its page, and the pool serves on', async () => {
    const recycled: string[] = [];
    const pool = await OcrPool.create({ size: 2, onRecycle: (reason) => recycled.push(reason) });
    try {
      const bands = [
        { top: 0, image: await busyPage() },
        { top: 2000, image: Buffer.from('not an image') },
      ];
      await expect(pool.recognize({ image: null, bands })).rejects.toMatchObject({ code: ErrorCode.CORRUPT_FILE });
      // Which comes first, the busy band's start or the other's failure, is up
      // to timing: it is either never started or stopped (its engine replaced,
      // 'aborted'); no engine is lost to anything else.
      expect(recycled.every((reason) => reason === 'aborted')).toBe(true);
      const page = await pool.recognize(await render(['Total 42.00']));
      expect(page.text.trim()).toBe('Total 42.00');
      await until(() => pool.engines === 2);
    } finally {
      await pool.close();
    }
  });

  it('abort stops the running recognition, and the engine is replaced', async () => {
    const recycled: string[] = [];
    const pool = await OcrPool.create({ size: 1, onRecycle: (reason) => recycled.push(reason) });
    try {
      const [busy, small] = await Promise.all([busyPage(), render(['Total 42.00'])]);
      const controller = new AbortController();
      const running = pool.recognize(busy, { signal: controller.signal });
      const queued = new AbortController();
      const waiting = pool.recognize(small, { signal: queued.signal });
      await new Promise((r) => setTimeout(r, 300));

      queued.abort();
      await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
      controller.abort();
      await expect(running).rejects.toMatchObject({ name: 'AbortError' });

      expect((await pool.recognize(small)).text.trim()).toBe('Total 42.00');
      expect(pool.engines).toBe(1);
      expect(recycled).toEqual(['aborted']); // the queued call never had an engine
    } finally {
      await pool.close();
    }
  });

  it('serves queued calls in the order they were made', async () => {
    const pool = await OcrPool.create({ size: 1 });
    try {
      // Call order decides, not which image's header happens to be read first.
      const images = await Promise.all([busyPage(), render(['Second 2']), render(['Third 3'])]);
      const finished: number[] = [];
      await Promise.all(images.map((image, i) => pool.recognize(image).then(() => finished.push(i))));
      expect(finished).toEqual([0, 1, 2]);
    } finally {
      await pool.close();
    }
  });

  it('an already aborted signal rejects without OCR', async () => {
    const pool = await OcrPool.create({ size: 1 });
    try {
      await expect(pool.recognize(await render(['x']), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await pool.close();
    }
  });

  it('a recognition over the time limit fails with OCR_TIMEOUT and its engine is replaced', async () => {
    const recycled: string[] = [];
    const create = () => OcrPool.create({ size: 1, recognizeTimeoutMs: 300, onRecycle: (reason) => recycled.push(reason) });
    const [pool, threads] = await capturingThreads(create);
    try {
      const error = await pool.recognize(await busyPage()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DocumentError);
      expect((error as DocumentError).code).toBe(ErrorCode.OCR_TIMEOUT);
      expect(recycled).toEqual(['timeout']);
      await until(() => threads[0].threadId === -1); // the thread that timed out has exited
      await until(() => pool.engines === 1);
    } finally {
      await pool.close();
    }
  });

  it('replaces an engine after recycleAfter jobs, between calls', async () => {
    const threads: Thread[] = [];
    const capture = (message: unknown) => threads.push((message as { worker: Thread }).worker);
    subscribe('worker_threads', capture);
    const recycled: string[] = [];
    const pool = await OcrPool.create({ size: 1, recycleAfter: 2, onRecycle: (reason) => recycled.push(reason) });
    try {
      const texts = ['First 1', 'Second 2', 'Third 3'];
      for (const text of texts) expect((await pool.recognize(await render([text]))).text.trim()).toBe(text);
      expect(threads).toHaveLength(2);
      expect(recycled).toEqual(['jobs']);
      await until(() => threads[0].threadId === -1);
    } finally {
      unsubscribe('worker_threads', capture);
      await pool.close();
    }
  });

  it('replaces an engine after an image larger than recycleAbovePixels, and only then', async () => {
    const recycled: string[] = [];
    const [, threads] = await capturingThreads(async () => {
      const pool = await OcrPool.create({ size: 1, recycleAbovePixels: 500_000, onRecycle: (reason) => recycled.push(reason) });
      try {
        await pool.recognize(await render(['Small page'])); // 1000 x 204: kept
        const large = await render(['Large page'], 1400, 150); // 1400 x 480: replaced after
        expect((await pool.recognize(large)).text.trim()).toBe('Large page');
        expect((await pool.recognize(await render(['After 3']))).text.trim()).toBe('After 3');
      } finally {
        await pool.close();
      }
    });
    expect(threads).toHaveLength(2);
    expect(recycled).toEqual(['pixels']);
  });

  it('finds which way up a page is, with a pool made for orientation', async () => {
    const pool = await OcrPool.create({ size: 1, purpose: 'orientation' });
    try {
      const lines = Array.from({ length: 8 }, (_, i) => `Line ${i + 1} of ordinary text to read the right way up`);
      const upright = await render(lines, 1600, 40);
      for (const turn of [0, 90, 180, 270]) {
        const { rotation, confidence } = await pool.detectOrientation(await sharp(upright).rotate(turn).png().toBuffer());
        expect(rotation).toBe((360 - turn) % 360);
        expect(confidence).toBeGreaterThan(1);
      }
      // Too little text to tell: no turn, no confidence.
      expect(await pool.detectOrientation(await render(['OK'], 300, 40))).toEqual({ rotation: 0, confidence: 0 });
    } finally {
      await pool.close();
    }
  });

  it('close() rejects running and queued calls and refuses new ones', async () => {
    const pool = await OcrPool.create({ size: 1 });
    const busy = await busyPage();
    const calls = [pool.recognize(busy), pool.recognize(busy), pool.recognize(busy)].map((p) => p.catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 200));
    await pool.close();
    for (const error of await Promise.all(calls)) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe(ErrorCode.INTERNAL);
    }
    await expect(pool.recognize(busy)).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  });

  it('survives an uncaught exception in an engine thread', async () => {
    const [pool, threads] = await capturingThreads(() => OcrPool.create({ size: 1 }));
    try {
      // An unknown action makes tesseract.js's message handler throw inside the
      // thread: the same uncaught exception a wasm abort produces, which ends the
      // whole process unless someone listens for the thread's 'error' event.
      threads[0].postMessage({ workerId: 'test', jobId: 'crash', action: 'no-such-action', payload: {} });
      await until(() => threads[0].threadId === -1);
      expect((await pool.recognize(await render(['Still 42']))).text.trim()).toBe('Still 42');
      expect(pool.engines).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('fails only the running call when its engine thread dies', async () => {
    const [pool, threads] = await capturingThreads(() => OcrPool.create({ size: 1 }));
    try {
      const running = pool.recognize(await busyPage());
      await new Promise((r) => setTimeout(r, 200));
      await threads[0].terminate(); // as the OOM killer or a wasm trap would
      await expect(running).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
      expect((await pool.recognize(await render(['Again 42']))).text.trim()).toBe('Again 42');
    } finally {
      await pool.close();
    }
  });

  it('fails to start, without leaving a thread behind, when the language data is unusable', async () => {
    await expect(OcrPool.create({ size: 1, langPath: '/nonexistent' })).rejects.toMatchObject({
      code: ErrorCode.INTERNAL,
      message: expect.stringContaining('language data not found'),
    });

    const dir = await mkdtemp(join(tmpdir(), 'ocrflow-lang-'));
    try {
      await writeFile(join(dir, 'eng.traineddata.gz'), gzipSync(Buffer.from('not a model')));
      const [error, threads] = await capturingThreads(() =>
        OcrPool.create({ size: 1, langPath: dir, createTimeoutMs: 20_000 }).catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(AppError);
      // Reported as a failed start, not left to the creation timeout.
      expect((error as Error).message).toMatch(/failed to start/);
      expect((error as Error).message).not.toMatch(/did not start within/);
      expect(threads).toHaveLength(1);
      expect(threads[0].threadId).toBe(-1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('OcrPool languages', () => {
  const GERMAN = 'Größe Übermäßig schön';

  it('reads a call in the languages it asks for on an engine started for them, never holding more engines than its size', async () => {
    const reasons: string[] = [];
    const pool = await OcrPool.create({ size: 1, languages: ['eng'], installed: ['eng', 'deu'], onRecycle: (reason) => reasons.push(reason) });
    try {
      const image = await render([GERMAN]);
      const english = await pool.recognize(image);
      expect(english.text.trim()).not.toBe(GERMAN); // the English model has no ß or umlauts to offer
      expect((await pool.recognize(image, { languages: ['deu'] })).text.trim()).toBe(GERMAN);
      expect(pool.idleEngines(['deu'])).toBe(1);
      expect(pool.idleEngines()).toBe(0);
      expect((await pool.recognize(await render(['Invoice 12345']))).text.trim()).toBe('Invoice 12345');
      expect(pool.engines).toBe(1);
      expect(reasons).toEqual(['languages', 'languages']);
    } finally {
      await pool.close();
    }
  });

  it('serves calls for different languages at once, each with its own result', async () => {
    const pool = await OcrPool.create({ size: 2, languages: ['eng'], installed: ['eng', 'deu'] });
    try {
      const [german, english] = await Promise.all([render([GERMAN]), render(['Receipt 2002'])]);
      const pages = await Promise.all([english, german, english, german, english].map((image) =>
        pool.recognize(image, image === german ? { languages: ['deu'] } : {}),
      ));
      expect(pages.map((page) => page.text.trim())).toEqual(['Receipt 2002', GERMAN, 'Receipt 2002', GERMAN, 'Receipt 2002']);
      expect(pool.engines).toBeLessThanOrEqual(2); // one may still be starting in place of another
      await until(() => pool.engines === 2);
    } finally {
      await pool.close();
    }
  });

  it('does not let calls for its usual languages overtake the oldest call for others', async () => {
    const pool = await OcrPool.create({ size: 1, languages: ['eng'], installed: ['eng', 'deu'] });
    try {
      const [german, english] = await Promise.all([render([GERMAN]), render(['Receipt 2002'])]);
      const done: number[] = [];
      const calls = [english, german, english, english, english].map((image, i) =>
        pool.recognize(image, image === german ? { languages: ['deu'] } : {}).then(() => done.push(i)),
      );
      await Promise.all(calls);
      // One engine reads one call at a time: the German call goes second, not behind every English one.
      expect(done).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await pool.close();
    }
  });

  it('refuses a call for a language it was not given', async () => {
    const pool = await OcrPool.create({ size: 1 });
    try {
      await expect(pool.recognize(await render(['Hello 42']), { languages: ['deu'] })).rejects.toMatchObject({
        code: ErrorCode.INTERNAL,
        message: expect.stringContaining('not installed: deu'),
      });
    } finally {
      await pool.close();
    }
  });

  it('fails to start naming the package to install when a language has no data', async () => {
    await expect(OcrPool.create({ size: 1, installed: ['eng', 'ita'] })).rejects.toMatchObject({
      code: ErrorCode.INTERNAL,
      message: expect.stringContaining('install @tesseract.js-data/ita'),
    });
  });
});
