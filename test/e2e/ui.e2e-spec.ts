import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { scannedPdf } from '../support/documents.js';
import { createTestEnv, eventually, token, type TestEnv } from '../support/harness.js';
import { freePort, startService, stopService } from '../support/process.js';

/** Debian's Chromium (ensure_test_tools installs it); playwright-core drives it, downloading no browser. */
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));

/** A scanned invoice (test/fixtures/invoice.png at 150 dpi, with a margin) and a scanned delivery note after it. */
async function twoPagePdf(): Promise<Buffer> {
  const pdf = await PDFDocument.load(await scannedPdf([['Invoice fixture'], ['Delivery note', 'Parcel 2 of 2']]));
  const invoice = await pdf.embedPng(await readFile(new URL('../fixtures/invoice.png', import.meta.url)));
  const [width, height] = [(invoice.width * 72) / 150, (invoice.height * 72) / 150];
  pdf.removePage(0);
  pdf.insertPage(0, [width + 40, height + 40]).drawImage(invoice, { x: 20, y: 20, width, height });
  return Buffer.from(await pdf.save());
}

interface Watched {
  page: Page;
  /** Console errors and uncaught exceptions. */
  consoleErrors: string[];
  requests: { url: string; status: number; type: string }[];
}

/**
 * A new page that records console errors, responses and, before any of the
 * page's own scripts run, every Content-Security-Policy violation
 * (`window.violations`) and the progress label's texts in the order they were
 * shown (`window.progress`).
 */
async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const watched: Watched = { page, consoleErrors: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') watched.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => watched.consoleErrors.push(`uncaught: ${error.message}`));
  page.on('response', (response) => watched.requests.push({ url: response.url(), status: response.status(), type: response.headers()['content-type'] ?? '' }));
  // As text: the project's types have no DOM.
  await page.addInitScript(`
    window.violations = [];
    window.progress = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
    new MutationObserver(() => {
      const text = document.getElementById('progress-label')?.textContent;
      if (text && window.progress.at(-1) !== text) window.progress.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  `);
  return watched;
}

/** Opens the UI and signs in with a development token. */
async function signIn(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('button', { name: 'Get a development token' }).click();
  await page.getByText('Signed in as local-user').waitFor();
}

describe('the browser UI, in headless Chromium (MODE=all, ENABLE_DEV_TOKENS=true)', () => {
  let env: TestEnv;
  let service: ReturnType<typeof startService>;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let consoleErrors: string[];
  let requests: Watched['requests'];

  beforeAll(async () => {
    env = await createTestEnv('e2e_ui');
    const port = await freePort();
    service = startService({ ...env.env, MODE: 'all', PORT: String(port), ENABLE_DEV_TOKENS: 'true' });
    baseUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${baseUrl}/health/live`).catch(() => undefined))?.ok ? true : undefined), 60_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    ({ page, consoleErrors, requests } = await watchedPage(browser));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (service) await stopService(service);
    await env?.cleanup();
  });

  it('signs in with a dev token, uploads a 2-page PDF, follows it to 100 %, draws the words on page 1 and downloads an artifact', async () => {
    const response = await page.goto(`${baseUrl}/`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response?.headers()['x-content-type-options']).toBe('nosniff'); // helmet's other headers stay

    await page.getByRole('button', { name: 'Get a development token' }).click();
    await page.getByText('Signed in as local-user').waitFor();

    await page.getByLabel('Drop an image or PDF here, or choose one').setInputFiles({
      name: 'invoice.pdf',
      mimeType: 'application/pdf',
      buffer: await twoPagePdf(),
    });
    await page.getByRole('checkbox', { name: 'tsv' }).check();
    await page.getByLabel('Fields to extract').selectOption('invoice');
    await page.getByText('Installed: eng, deu, fra.').waitFor(); // from GET /languages
    await page.getByLabel('Languages').fill('eng');
    await page.getByRole('button', { name: 'Upload' }).click();

    // The bar: fed by the job's events (page 1 of 2 is only ever told by an event), then full.
    // A function, not a string: the page's CSP forbids evaluating strings (no 'unsafe-eval').
    await page.waitForFunction(() => (globalThis as any).document.getElementById('progress').value === 100, null, { timeout: 150_000 });
    await page.getByText('SUCCEEDED').waitFor();
    const progress: string[] = await page.evaluate(() => (globalThis as any).progress);
    expect(progress).toContain('1 of 2 pages (50 %)');
    expect(progress.at(-1)).toBe('2 of 2 pages (100 %)');
    const events = requests.find((r) => /\/jobs\/[0-9a-f-]{36}\/events$/.test(r.url));
    expect(events).toMatchObject({ status: 200, type: expect.stringContaining('text/event-stream') });

    // Page 1: its image under a box for every word, the recognised text beside it.
    const first = page.locator('#page-1');
    await first.locator('svg image').waitFor({ state: 'attached' });
    const words = await first.locator('rect.word').evaluateAll((rects) => rects.map((r) => r.getAttribute('data-word')));
    expect(words).toEqual(expect.arrayContaining(['ACME', 'INV-2026-0415', '124.19']));
    expect(await first.locator('rect.word.conf-high').count()).toBeGreaterThan(10);
    expect(await first.locator('pre').textContent()).toContain('ACME Office Supplies Ltd');
    await first.locator('rect.word[data-word="Stapler"]').hover();
    await expect.poll(() => first.locator('.readout').textContent()).toMatch(/^Stapler — \d+ %$/);
    // The invoice's total, listed and boxed where it was read.
    expect(await page.locator('#field-list').textContent()).toContain('124.19');
    await first.locator('rect.field[data-field="total"]').hover();
    await expect.poll(() => first.locator('.readout').textContent()).toBe('total: 124.19');
    const image = requests.find((r) => r.url.endsWith('/pages/1/image'));
    expect(image).toMatchObject({ status: 200, type: 'image/jpeg' });
    expect(await page.locator('#page-2 pre').textContent()).toContain('Delivery note');

    await page.locator('#page-2 svg image').waitFor({ state: 'attached' });
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: `${OUTPUT}ui.png`, fullPage: true });

    // A file link: fetched with the token and saved.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'document.tsv' }).click()]);
    expect(download.suggestedFilename()).toBe('document.tsv');
    expect(await readFile(await download.path(), 'utf8')).toMatch(/\tINV-2026-0415\n/);

    expect(consoleErrors).toEqual([]);
    expect(await page.evaluate(() => (globalThis as any).violations)).toEqual([]);
  }, 240_000);

  it('signs a one-hour jobs:read jobs:write token for the subject asked, or local-user', async () => {
    const issue = (body: string) => fetch(`${baseUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const given = (await (await issue('{"subject":"zoe"}')).json()) as { token: string; subject: string; scope: string; expiresIn: number };
    expect(given).toMatchObject({ subject: 'zoe', scope: 'jobs:read jobs:write', expiresIn: 3600 });
    const claims = JSON.parse(Buffer.from(given.token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'zoe', scope: 'jobs:read jobs:write' });
    expect(claims.exp - claims.iat).toBe(3600);
    expect((await new ApiClient(baseUrl).as(given.token).get('/jobs')).status).toBe(200);
    expect(((await (await issue('{}')).json()) as { subject: string }).subject).toBe('local-user');
    const refused = await issue('{"subject":"zoe","scope":"admin"}');
    expect(refused.status).toBe(400);
  });

  it('draws a page only for its owner, and refuses a page the document lacks', async () => {
    const alice = new ApiClient(baseUrl).as(await token('alice'));
    const { id } = await alice.submit(await scannedPdf([['Owner check']]), { fileName: 'one.pdf' });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    const image = await fetch(`${baseUrl}/jobs/${id}/pages/1/image`, { headers: { authorization: `Bearer ${await token('alice')}` } });
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    const bob = await fetch(`${baseUrl}/jobs/${id}/pages/1/image`, { headers: { authorization: `Bearer ${await token('bob')}` } });
    expect(bob.status).toBe(404);
    const beyond = await fetch(`${baseUrl}/jobs/${id}/pages/2/image`, { headers: { authorization: `Bearer ${await token('alice')}` } });
    expect(beyond.status).toBe(404);
    expect(((await beyond.json()) as { detail: string }).detail).toBe('The document has 1 page');
    expect((await fetch(`${baseUrl}/jobs/${id}/pages/1/image`)).status).toBe(401);
  }, 200_000);
});

describe('the browser UI switched off, and dev tokens off (the defaults of MODE=api)', () => {
  let env: TestEnv;
  let running: RunningApp;

  beforeAll(async () => {
    env = await createTestEnv('e2e_ui_off');
    running = await startApp(env, { MODE: 'api' });
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('answers 404 for the page, its files, page images and the dev-token endpoint', async () => {
    const baseUrl = await running.app.getUrl();
    for (const path of ['/', '/ui/app.js', '/ui/settings.json']) expect((await fetch(`${baseUrl}${path}`)).status, path).toBe(404);
    expect((await fetch(`${baseUrl}/dev/token`, { method: 'POST' })).status).toBe(404);
    const alice = await running.client('alice');
    const { id } = await alice.submit(await scannedPdf([['Queued only']]), { fileName: 'one.pdf' });
    expect((await alice.get(`/jobs/${id}/pages/1/image`)).status).toBe(404);
  });
});

describe('the browser UI in MODE=api with ENABLE_UI=true: no worker, so a job stays queued', () => {
  let env: TestEnv;
  let running: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    env = await createTestEnv('e2e_ui_api');
    running = await startApp(env, { MODE: 'api', ENABLE_UI: 'true', ENABLE_DEV_TOKENS: 'true' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await running?.app.close();
    await env?.cleanup();
  });

  it('cancels the queued job, and opens it again from the recent jobs', async () => {
    const { page, consoleErrors } = await watchedPage(browser);
    await signIn(page, await running.app.getUrl());
    await page.getByLabel('Drop an image or PDF here, or choose one').setInputFiles({
      name: 'waiting.pdf',
      mimeType: 'application/pdf',
      buffer: await scannedPdf([['Never read']]),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#job-status', { hasText: 'QUEUED' }).waitFor();

    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('#job-status', { hasText: 'CANCELLED' }).waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).waitFor({ state: 'hidden' });
    await page.locator('#recent-list', { hasText: 'CANCELLED' }).waitFor(); // listed again once the job ended

    await page.reload(); // signed in still (the token is kept for the tab), nothing shown
    await page.getByRole('button', { name: 'Open waiting.pdf' }).click();
    await page.locator('#job-title', { hasText: 'Job: waiting.pdf' }).waitFor();
    await page.locator('#job-status', { hasText: 'CANCELLED' }).waitFor();
    expect(await page.locator('#pages-view article').count()).toBe(0);

    expect(consoleErrors).toEqual([]);
    expect(await page.evaluate(() => (globalThis as any).violations)).toEqual([]);
  });
});
