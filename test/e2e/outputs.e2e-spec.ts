import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { mixedPdf, multiPageTiff, textPdf } from '../support/documents.js';
import { createTestEnv, token, type TestEnv } from '../support/harness.js';
import { bmpOf, textImage } from '../support/images.js';
import { xmllint } from '../support/output-pages.js';

const run = promisify(execFile);
const ALTO_XSD = new URL('../fixtures/alto/alto-4-4.xsd', import.meta.url).pathname;
const ALL = 'text,json,hocr,alto,tsv,pdf';

describe('outputs and artifacts (MODE=all)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;
  let work: string;

  beforeAll(async () => {
    env = await createTestEnv('e2e_outputs');
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
    work = await mkdtemp(join(tmpdir(), 'ocrflow-outputs-'));
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const download = async (href: string, headers: Record<string, string> = {}) => {
    const res = await fetch(alice.baseUrl + href, { headers: { authorization: `Bearer ${await token('alice')}`, ...headers } });
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };
  const saved = async (name: string, data: Buffer) => {
    const path = join(work, name);
    await writeFile(path, data);
    return path;
  };
  const words = (results: any): string[] => results.pages.flatMap((p: any) => p.lines.flatMap((l: any) => l.words.map((w: any) => w.text)));

  /** Every output of one document, downloaded and checked the way the tools that read them would. */
  async function checkOutputs(data: Buffer, fileName: string, pageCount: number) {
    const { id } = await alice.submit(data, { fileName, fields: { outputs: ALL } });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    const results = (await alice.json(`/jobs/${id}/results`)).body;
    const byName = Object.fromEntries(results.artifacts.map((a: any) => [a.name, a]));
    expect(Object.keys(byName).sort()).toEqual(['document.alto.xml', 'document.hocr', 'document.pdf', 'document.tsv', 'original']);
    const files: Record<string, Buffer> = {};
    for (const artifact of results.artifacts) {
      const { res, body } = await download(artifact.href);
      expect(res.status, artifact.name).toBe(200);
      expect(res.headers.get('content-type')).toBe(artifact.contentType);
      expect(Number(res.headers.get('content-length'))).toBe(artifact.sizeBytes);
      files[artifact.name] = body;
    }
    expect(files.original!.equals(data)).toBe(true);
    const expectedWords = words(results);
    expect(expectedWords.length).toBeGreaterThan(3);

    // hOCR parses, with a word element for every word, each with a box and a confidence.
    expect(xmllint(['--noout'], files['document.hocr']!.toString())).toEqual({ ok: true, errors: '' });
    const hocrWords = [...files['document.hocr']!.toString().matchAll(/class=['"]ocrx_word['"][^>]*title=['"]([^'"]*)['"]/g)].map((m) => m[1]!);
    expect(hocrWords).toHaveLength(expectedWords.length);
    for (const title of hocrWords) expect(title).toMatch(/bbox \d+ \d+ \d+ \d+; x_wconf \d+/);

    // ALTO validates against the ALTO 4 schema.
    expect(xmllint(['--noout', '--schema', ALTO_XSD], files['document.alto.xml']!.toString())).toEqual({ ok: true, errors: '- validates\n' });

    // TSV: Tesseract's header, and a row per word.
    const rows = files['document.tsv']!.toString().trimEnd().split('\n').map((line) => line.split('\t'));
    expect(rows[0]).toEqual(['level', 'page_num', 'block_num', 'par_num', 'line_num', 'word_num', 'left', 'top', 'width', 'height', 'conf', 'text']);
    expect(rows.filter((row) => row[0] === '5').map((row) => row[11])).toEqual(expectedWords);

    // The searchable PDF: its text extracts again, and it stays within the size bound.
    const pdf = await saved(`${id}.pdf`, files['document.pdf']!);
    const { stdout } = await run('pdftotext', [pdf, '-']);
    for (const word of expectedWords.filter((w) => /^[A-Za-z]{4,}$/.test(w))) expect(stdout).toContain(word);
    expect(files['document.pdf']!.length).toBeLessThanOrEqual(1.5 * data.length + 20_000 * pageCount);
    return { id, results, pdfText: stdout };
  }

  it('makes every output of a scanned image from one recognition, each one checked by the tools that read it', async () => {
    await checkOutputs(await textImage(['Invoice number 4711', 'Delivered to Quayside Warehouse', 'Total amount 124.19']), 'scan.png', 1);
  });

  it('makes every output of a born-digital PDF from its text layer', async () => {
    await checkOutputs(await textPdf([['Quarterly report for the harbour board'], ['Second page with minutes and decisions']]), 'report.pdf', 2);
  });

  it('makes a searchable PDF of every image type, a page per TIFF page, upright for a JPEG turned by EXIF', async () => {
    const lines = (name: string) => [`Delivery note for ${name}`, 'Harbour warehouse seven'];
    const image = (name: string) => textImage(lines(name), { width: 1000 });
    const documents: [string, Buffer, string[][]][] = [
      // Stored turned a quarter anticlockwise; EXIF orientation 6 turns it back for display.
      ['note.jpg', await sharp(await image('jpeg')).rotate(270).jpeg().withMetadata({ orientation: 6 }).toBuffer(), [lines('jpeg')]],
      ['note.tiff', await multiPageTiff([await image('tiff one'), await image('tiff two')]), [lines('tiff one'), lines('tiff two')]],
      ['note.webp', await sharp(await image('webp')).webp({ lossless: true }).toBuffer(), [lines('webp')]],
      ['note.gif', await sharp(await image('gif')).gif().toBuffer(), [lines('gif')]],
      ['note.bmp', await bmpOf(await image('bitmap')), [lines('bitmap')]],
    ];
    for (const [fileName, data, pages] of documents) {
      const { id } = await alice.submit(data, { fileName, fields: { outputs: 'text,pdf' } });
      expect((await waitForJob(alice, id)).status, fileName).toBe('SUCCEEDED');
      const { res, body } = await download(`/jobs/${id}/artifacts/document.pdf`);
      expect(res.status, fileName).toBe(200);
      const pdf = await saved(`${id}.pdf`, body);
      expect((await run('pdfinfo', [pdf])).stdout, fileName).toMatch(new RegExp(`Pages:\\s+${pages.length}\\n`));
      for (const [i, page] of pages.entries()) {
        const { stdout } = await run('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), pdf, '-']);
        expect(stdout.replace(/\s+/g, ' ').trim(), `${fileName} page ${i + 1}`).toBe(page.join(' '));
      }
      expect(body.length, fileName).toBeLessThanOrEqual(1.5 * data.length + 20_000 * pages.length);
    }
  });

  it('makes every output of a mixed PDF page from its text layer and the OCR of its scan, the typed text written once', async () => {
    const typed = 'Claim form from the harbour office';
    const { results, pdfText } = await checkOutputs(await mixedPdf([typed], ['Scanned statement of the', 'harbour master on duty']), 'mixed.pdf', 1);
    expect(results.pages[0].source).toBe('mixed');
    expect(words(results)).toEqual(expect.arrayContaining(['Claim', 'Scanned', 'statement', 'master']));
    // The searchable PDF keeps the page's own text and adds only what OCR read.
    expect(pdfText.match(/Claim form from the harbour office/g)).toHaveLength(1);
    expect(pdfText.match(/statement/g)).toHaveLength(1);
  });

  it('serves the original at any time, with ranges; another subject and unknown names get 404; a default job has only its original', async () => {
    const data = await textImage(['Range request'], { width: 600 });
    const { id } = await alice.submit(data);
    const part = await download(`/jobs/${id}/artifacts/original`, { range: 'bytes=0-9' });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe(`bytes 0-9/${data.length}`);
    expect(part.body.equals(data.subarray(0, 10))).toBe(true);
    const tail = await download(`/jobs/${id}/artifacts/original`, { range: 'bytes=-5' });
    expect(tail.body.equals(data.subarray(-5))).toBe(true);
    const beyond = await download(`/jobs/${id}/artifacts/original`, { range: `bytes=${data.length + 10}-` });
    expect(beyond.res.status).toBe(416);
    expect(beyond.res.headers.get('content-range')).toBe(`bytes */${data.length}`);

    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    const results = (await alice.json(`/jobs/${id}/results`)).body;
    expect(results.artifacts).toEqual([{ name: 'original', contentType: 'image/png', sizeBytes: data.length, href: `/jobs/${id}/artifacts/original` }]);
    expect((await download(`/jobs/${id}/artifacts/document.pdf`)).res.status).toBe(404);
    const bob = await running.client('bob');
    expect((await bob.json(`/jobs/${id}/artifacts/original`)).status).toBe(404);
  });

  it('refuses an unknown output with 400 and stores nothing; a delete removes the outputs with the job', async () => {
    const before = await env.artifactFiles();
    const refused = await alice.upload(await textImage(['x']), { fields: { outputs: 'text,docx' } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: unknown }).errors).toEqual([{ field: 'outputs.1', message: 'each output is one of text, json, hocr, alto, tsv, pdf' }]);
    expect(await env.artifactFiles()).toEqual(before);

    const { id } = await alice.submit(await textImage(['Gone with the job']), { fields: { outputs: 'pdf,tsv' } });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    expect((await env.artifactFiles()).filter((file) => file.includes(id))).toHaveLength(3);
    expect((await alice.delete(`/jobs/${id}`)).status).toBe(204);
    expect((await env.artifactFiles()).filter((file) => file.includes(id))).toEqual([]);
  });
});
