import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { encryptPdf, largeImagePdf, longPdf, mixedPdf, multiPageTiff, scannedPdf, textPdf } from '../support/documents.js';
import { createTestEnv, token, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { encodeForOcr } from '../../src/reader/image-decoder.js';

const words = (page: any): any[] => page.lines.flatMap((line: any) => line.words);
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('documents page by page: PDFs, TIFFs, turned scans, progress (MODE=all)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_documents');
    running = await startApp(env, { MODE: 'all', MAX_PAGES: '50' });
    alice = await running.client('alice');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  /** Uploads, waits for the end, returns the job and its results. */
  async function process(file: Buffer, fields: Record<string, string> = {}) {
    const { id } = await alice.submit(file, { fileName: 'doc', fields });
    const job = await waitForJob(alice, id);
    const results = await alice.json(`/jobs/${id}/results`);
    return { id, job, results: results.body, status: results.status };
  }

  it("returns a born-digital PDF's exact text from its text layer, with word boxes", async () => {
    const pdf = await textPdf([['Quarterly report 2026', 'Revenue grew by 12.5 percent'], ['Second page of the report']]);
    const { job, results } = await process(pdf);
    expect(job).toMatchObject({ status: 'SUCCEEDED', mediaType: 'application/pdf', pages: { total: 2, done: 2, failed: 0 } });
    expect(results.pages.map((p: any) => [p.number, p.source])).toEqual([
      [1, 'text-layer'],
      [2, 'text-layer'],
    ]);
    const [first, second] = results.pages;
    expect(first.text).toBe('Quarterly report 2026\nRevenue grew by 12.5 percent');
    expect(second.text).toBe('Second page of the report');
    expect(results.text).toBe(`${first.text}\n\f${second.text}`);
    // Boxes in pixels at 300 dpi of an A4 page, left to right, top to bottom.
    expect(first).toMatchObject({ dpi: 300, width: Math.round((595 * 300) / 72), height: Math.round((842 * 300) / 72) });
    const [quarterly, , , revenue, grew] = words(first);
    expect([quarterly.text, revenue.text, grew.text]).toEqual(['Quarterly', 'Revenue', 'grew']);
    expect(grew.bbox.x0).toBeGreaterThan(revenue.bbox.x1 - 1);
    expect(revenue.bbox.y0).toBeGreaterThan(quarterly.bbox.y1 - 1);
    expect(quarterly.bbox.x0).toBeGreaterThan(150); // 50 pt from the left edge
    expect(quarterly.bbox.x0).toBeLessThan(260);
  });

  it('OCRs a page that has a text layer when asked to with ocr=force', async () => {
    const { results } = await process(await textPdf([['Forced recognition works']]), { ocr: 'force' });
    expect(results.pages[0].source).toBe('ocr');
    expect(squash(results.text)).toContain('Forced recognition works');
  });

  it('reads a mixed page (typed header, scanned body) from its text layer and the OCR of its scan, and says which read what', async () => {
    const typed = ['Claim form 2026-114', 'Typed by the clerk'];
    const scanned = ['Scanned statement of the', 'harbour master on duty'];
    const { job, results } = await process(await mixedPdf(typed, scanned));
    expect(job).toMatchObject({ status: 'SUCCEEDED', pages: { total: 1, done: 1, failed: 0 } });
    const [page] = results.pages;
    expect([page.source, page.rotation, page.dpi]).toEqual(['mixed', 0, 300]);
    expect(page.lines.map((line: any) => [line.source, squash(line.text)])).toEqual([
      ...typed.map((text) => ['text-layer', text]),
      ...scanned.map((text) => ['ocr', text]),
    ]);
    expect(squash(results.text)).toBe(squash([...typed, ...scanned].join(' ')));
    // Both in the page's pixels at 300 dpi: the scan's words below the header's, within the page.
    const wordsOf = (source: string) => page.lines.filter((line: any) => line.source === source).flatMap((line: any) => line.words);
    const [header, body] = [wordsOf('text-layer'), wordsOf('ocr')];
    expect(Math.min(...body.map((w: any) => w.bbox.y0))).toBeGreaterThan(Math.max(...header.map((w: any) => w.bbox.y1)));
    expect(Math.max(...body.map((w: any) => w.bbox.x1))).toBeLessThanOrEqual(page.width);
    // A page read by OCR alone records no line sources.
    const forced = await process(await mixedPdf(typed, scanned), { ocr: 'force' });
    expect(forced.results.pages[0].source).toBe('ocr');
    expect(forced.results.pages[0].lines.every((line: any) => line.source === undefined)).toBe(true);
    expect(squash(forced.results.text)).toBe(squash(results.text));
  });

  it('fails a page holding an image over MAX_PAGE_PIXELS with IMAGE_TOO_LARGE rather than reading it without the image', async () => {
    const pdf = await PDFDocument.load(await textPdf([['The typed page']]));
    const [large] = await pdf.copyPages(await PDFDocument.load(await largeImagePdf(6000, 6000, { typed: 'Typed over a 36 MP image' })), [0]);
    pdf.addPage(large);
    const { job, results } = await process(Buffer.from(await pdf.save()));
    expect(job).toMatchObject({ status: 'PARTIAL', pages: { total: 2, done: 1, failed: 1 } });
    expect(results.pages[0].text).toBe('The typed page');
    expect(results.pages[1]).toEqual({ number: 2, error: { code: 'IMAGE_TOO_LARGE', message: expect.stringContaining('MAX_PAGE_PIXELS') } });
  });

  it('reads all three pages of a scanned PDF, in order', async () => {
    const pdf = await scannedPdf([['Invoice page one'], ['Delivery note page two'], ['Terms page three']]);
    const { job, results } = await process(pdf);
    expect(job).toMatchObject({ status: 'SUCCEEDED', pages: { total: 3, done: 3, failed: 0 } });
    expect(results.pages.map((p: any) => [p.number, p.source, p.dpi])).toEqual([
      [1, 'ocr', 300],
      [2, 'ocr', 300],
      [3, 'ocr', 300],
    ]);
    expect(results.pages.map((p: any) => squash(p.text))).toEqual(['Invoice page one', 'Delivery note page two', 'Terms page three']);
  });

  it('reads every page of a 3-page TIFF', async () => {
    const tiff = await multiPageTiff(await Promise.all(['Alpha 111', 'Bravo 222', 'Charlie 333'].map((l) => textImage([l]))));
    const { job, results } = await process(tiff);
    expect(job.mediaType).toBe('image/tiff');
    expect(results.pages.map((p: any) => squash(p.text))).toEqual(['Alpha 111', 'Bravo 222', 'Charlie 333']);
  });

  it('processes only the pages asked for', async () => {
    const pdf = await textPdf([['first'], ['second'], ['third']]);
    const { job, results } = await process(pdf, { pages: '1,3' });
    expect(job.pages.total).toBe(2);
    expect(results.pages.map((p: any) => [p.number, p.text])).toEqual([
      [1, 'first'],
      [3, 'third'],
    ]);
    const missing = await process(pdf, { pages: '2-5' });
    expect(missing.job).toMatchObject({ status: 'FAILED', error: { code: 'PAGES_OUT_OF_RANGE' } });
  });

  it('reads a page turned 90, 180 or 270 degrees the same as upright, and says how it turned it', async () => {
    const lines = [
      'Orientation detection needs a page',
      'with enough lines of ordinary text',
      'so that the script and its direction',
      'can be told apart with confidence.',
      'Total due 4,210.75 on 2026-12-01',
      'Thank you for your business today',
    ];
    const upright = await textImage(lines);
    const texts: Record<number, string> = {};
    for (const turn of [0, 90, 180, 270]) {
      const { results } = await process(await sharp(upright).rotate(turn).png().toBuffer());
      const [page] = results.pages;
      expect(page.rotation).toBe((360 - turn) % 360);
      texts[turn] = squash(page.text);
    }
    expect(texts[0]).toContain('Total due 4,210.75');
    for (const turn of [90, 180, 270]) expect(texts[turn]).toBe(texts[0]);
  });

  it('straightens a page scanned a few degrees askew, and keeps its word boxes on the page as sent', async () => {
    const upright = await textImage([
      'A scanner feeds the sheet at a slant',
      'and every line of text runs downhill',
      'Invoice 2026-0417 total 1,984.20 EUR',
    ]);
    const { results: straight } = await process(upright);
    const skewed = await sharp(upright).rotate(3, { background: '#ffffff' }).png().toBuffer();
    const { results } = await process(skewed);
    const [page] = results.pages;
    expect(squash(page.text)).toBe(squash(straight.pages[0].text));
    expect(page.skew).toBeCloseTo(3, 0);

    // Where sharp's 3-degree clockwise turn put a word, about the centre: words
    // far from it (first line's start, last line's end) moved 20-30 pixels.
    const centre = (b: any) => [(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2];
    const [cx, cy] = [straight.pages[0].width / 2, straight.pages[0].height / 2];
    const a = (3 * Math.PI) / 180;
    for (const word of ['scanner', 'EUR']) {
      const [x, y] = centre(words(straight.pages[0]).find((w) => w.text === word).bbox);
      const expected = [page.width / 2 + (x - cx) * Math.cos(a) - (y - cy) * Math.sin(a), page.height / 2 + (x - cx) * Math.sin(a) + (y - cy) * Math.cos(a)];
      const [gx, gy] = centre(words(page).find((w) => w.text === word).bbox);
      expect(Math.hypot(gx - expected[0], gy - expected[1]), word).toBeLessThan(8);
    }
  });

  it('opens an encrypted PDF only with its password, and never shows the password', async () => {
    const pdf = await encryptPdf(await textPdf([['Confidential salary table']]), 's3cret-pw');
    const without = await process(pdf);
    expect(without.job).toMatchObject({ status: 'FAILED', error: { code: 'PASSWORD_REQUIRED' } });
    const wrong = await process(pdf, { password: 'guess' });
    expect(wrong.job).toMatchObject({ status: 'FAILED', error: { code: 'PASSWORD_INCORRECT' } });
    const right = await process(pdf, { password: 's3cret-pw' });
    expect(right.job.status).toBe('SUCCEEDED');
    expect(right.results.text).toBe('Confidential salary table');
    const shown = JSON.stringify([(await alice.json(`/jobs/${right.id}`)).body, (await alice.json('/jobs')).body, right.results]);
    expect(shown).not.toContain('s3cret');
    expect(await env.sql('SELECT id FROM jobs WHERE password IS NOT NULL')).toEqual([]);
  });

  it('ends PARTIAL, with a code for the page that failed and the text of the others', async () => {
    const pdf = await PDFDocument.load(await scannedPdf([['The readable page']]));
    pdf.addPage([4000, 4000]); // 46 million pixels at 300 dpi: over MAX_PAGE_PIXELS
    const { job, results, status } = await process(Buffer.from(await pdf.save()));
    expect(job).toMatchObject({ status: 'PARTIAL', pages: { total: 2, done: 1, failed: 1 } });
    expect(status).toBe(200);
    expect(squash(results.pages[0].text)).toBe('The readable page');
    expect(results.pages[1]).toEqual({ number: 2, error: { code: 'PAGE_TOO_LARGE', message: expect.any(String) } });
  });

  it('refuses a 5,000-page PDF before reading any page', async () => {
    const { id, job } = await process(await longPdf(5_000));
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'TOO_MANY_PAGES' }, pages: { total: null, done: 0 } });
    expect(await env.sql('SELECT number FROM job_pages WHERE job_id = $1', [id])).toEqual([]);
  });

  it('fails a file that only looks like a PDF with a code', async () => {
    const { job } = await process(Buffer.from('%PDF-1.4\n%%EOF\n'));
    expect(job).toMatchObject({ status: 'FAILED', error: { code: 'CORRUPT_FILE' } });
  });

  it('refuses bad form fields before storing anything, naming the field and never echoing it', async () => {
    const before = await env.artifactFiles();
    const image = await textImage(['fields']);
    for (const [fields, field] of [
      [{ pages: '3-1' }, 'pages'],
      [{ ocr: 'sometimes' }, 'ocr'],
      [{ colour: 'blue' }, 'colour'],
      [{ password: 'p'.repeat(300) }, 'password'],
    ] as const) {
      const res = await alice.upload(image, { fields });
      const body = (await res.json()) as any;
      expect(res.status).toBe(400);
      expect(body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field })] });
      expect(JSON.stringify(body)).not.toContain('ppppp');
    }
    expect(await env.artifactFiles()).toEqual(before);
  });

  it('streams a job’s events in order as they happen, and replays them to late clients', async () => {
    const { id } = await alice.submit(await scannedPdf([['Event one'], ['Event two'], ['Event three']]));
    const live = await alice.events(`/jobs/${id}/events`);
    expect(live.map((e) => [e.id, e.type])).toEqual([
      ['1', 'queued'],
      ['2', 'started'],
      ['3', 'page.completed'],
      ['4', 'page.completed'],
      ['5', 'page.completed'],
      ['6', 'succeeded'],
    ]);
    expect(live.slice(2, 5).map((e) => [e.data.data.page, e.data.data.done, e.data.data.total])).toEqual([
      [1, 1, 3],
      [2, 2, 3],
      [3, 3, 3],
    ]);
    expect(live[5]!.data).toMatchObject({ jobId: id, seq: 6, type: 'succeeded', data: { pages: { total: 3, done: 3, failed: 0 } } });

    // A client that connects afterwards gets the same history; a reconnect resumes after its last id.
    expect(await alice.events(`/jobs/${id}/events`)).toEqual(live);
    expect((await alice.events(`/jobs/${id}/events`, { lastEventId: '4' })).map((e) => e.id)).toEqual(['5', '6']);
    const bob = alice.as(await token('bob'));
    expect((await bob.get(`/jobs/${id}/events`)).status).toBe(404);
  });
});

describe('the pages of one document in parallel (MODE=all, two OCR engines)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let paula: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_documents_parallel');
    running = await startApp(env, { MODE: 'all', OCR_WORKERS: '2' });
    paula = await running.client('paula');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('works on several pages at once, and stores, reports and returns them in page order', async () => {
    const texts = ['Parallel page one', 'Parallel page two', 'Parallel page three', 'Parallel page four'];
    const { id } = await paula.submit(await scannedPdf(texts.map((text) => [text, 'with a second line below it'])));
    const job = await waitForJob(paula, id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', pages: { total: 4, done: 4, failed: 0 } });
    const { body: results } = await paula.json(`/jobs/${id}/results`);
    expect(results.pages.map((p: any) => [p.number, squash(p.text)])).toEqual(
      texts.map((text, i) => [i + 1, `${text} with a second line below it`]),
    );
    const events = await paula.events(`/jobs/${id}/events`);
    const completed = events.filter((e) => e.type === 'page.completed').map((e) => [e.data.data.page, e.data.data.done]);
    expect(completed).toEqual([[1, 1], [2, 2], [3, 3], [4, 4]]);

    // Each page was read and OCRed between the job's `started` and `succeeded`
    // events. Pages taken one after another would add up to less than that
    // window; pages worked on side by side add up to more.
    const pages = await env.sql<{ timings: Record<string, number> }>('SELECT timings FROM job_pages WHERE job_id = $1', [id]);
    const busy = pages.reduce((sum, { timings }) => sum + timings.read! + timings.ocr!, 0);
    const [window] = await env.sql<{ ms: number }>(
      `SELECT (extract(epoch FROM max(created_at) - min(created_at)) * 1000)::float8 AS ms
         FROM job_events WHERE job_id = $1 AND type IN ('started', 'succeeded')`,
      [id],
    );
    expect(busy).toBeGreaterThan(window!.ms);
  });

  const lines = Array.from({ length: 24 }, (_, i) => `Item ${i + 1} Widget ${300 + i} at ${i + 1}.50 EUR`);

  /** Reads an image the reader cuts in two (checked first, so this is the banded path); its one page. */
  async function readInBands(image: Buffer, fileName: string) {
    const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { bands } = await encodeForOcr({ data, width: info.width, height: info.height, channels: info.channels }, { bands: 2 });
    expect(bands).toHaveLength(2);
    const { id } = await paula.submit(image, { fileName });
    expect(await waitForJob(paula, id)).toMatchObject({ status: 'SUCCEEDED' });
    const { body: results } = await paula.json(`/jobs/${id}/results`);
    return results.pages[0];
  }

  it('reads a long single page in bands on both engines: every line once, in order, boxes on the page', async () => {
    const page = await readInBands(await textImage(lines), 'long.png');
    expect(page.lines.map((line: any) => line.text)).toEqual(lines);
    expect(squash(page.text)).toBe(squash(lines.join(' ')));
    // textImage puts line i's baseline at y = 100 + 80 i.
    page.lines.forEach((line: any, i: number) => {
      expect(line.bbox.y1, line.text).toBeGreaterThan(100 + 80 * i - 5);
      expect(line.bbox.y0, line.text).toBeLessThan(100 + 80 * i);
    });
  });

  it('turns an upside-down page read in bands upright from its bands put back together, and reads it whole', async () => {
    // Upside down, its lines still run across: the reader cuts it in two all the same.
    const page = await readInBands(await sharp(await textImage(lines)).rotate(180).png().toBuffer(), 'upside-down.png');
    expect(page.rotation).toBe(180);
    expect(page.lines.map((line: any) => line.text)).toEqual(lines);
  });
});
