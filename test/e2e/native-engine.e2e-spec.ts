import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

// The service with OCR_ENGINE=native reads through Tesseract's own library
// (scripts/lib/bootstrap.sh installs tesseract-ocr for the tests) and answers
// as it does with tesseract.js; orientation stays on tesseract.js.
describe('OCR_ENGINE=native (MODE=all)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_native');
    running = await startApp(env, { MODE: 'all', OCR_ENGINE: 'native', OCR_WORKERS: '1' });
    client = await running.client('native');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  const read = async (image: Buffer) => {
    const { id } = await client.submit(image, { fileName: 'page.png' });
    expect((await waitForJob(client, id)).status).toBe('SUCCEEDED');
    return (await client.json(`/jobs/${id}/results`)).body;
  };

  it("reads the README's sample invoice with word boxes on the page", async () => {
    const body = await read(await readFile(new URL('../fixtures/invoice.png', import.meta.url)));
    expect(body.text).toContain('INV-2026-0415');
    expect(body.text).toMatch(/TOTAL\s+124\.19/);
    const [page] = body.pages;
    const total = page.lines.flatMap((l: any) => l.words).find((w: any) => w.text === '124.19');
    expect(total.bbox.x1).toBeLessThanOrEqual(page.width);
    expect(total.confidence).toBeGreaterThan(50);
  });

  it('turns a sideways page upright before reading it', async () => {
    const lines = ['Orientation detection needs a page', 'with enough lines of ordinary text', 'Total due 4,210.75 on 2026-12-01'];
    const body = await read(await sharp(await textImage(lines)).rotate(90).png().toBuffer());
    expect(body.pages[0].rotation).toBe(270);
    expect(body.text).toContain('Total due 4,210.75');
  });
});
