import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { createTestEnv, token, type TestEnv } from '../support/harness.js';
import { scannedPdf } from '../support/documents.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
const PAGES = [['INVOICE ALPHA 1111'], ['RECEIPT BRAVO 2222'], ['LEDGER CHARLIE 3333']];

interface Run { code: number; stdout: string; stderr: string }

/** Runs a command as a user would, without blocking this process's event loop (the app answers from it). */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 170_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The built CLI with a pseudo-terminal as its stdout: util-linux `script` (-e: the child's exit code). */
function runInTerminal(args: string[], env: Record<string, string>): Promise<Run> {
  const quoted = [process.execPath, CLI, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  return run('script', ['-q', '-e', '-c', quoted, '/dev/null'], env);
}

describe('ocrflow command-line client', () => {
  let env: TestEnv;
  let running: RunningApp;
  let dir: string;
  let pdf: string;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    await access(CLI).catch(() => { throw new Error(`${CLI} is missing: run npm run build first`); });
    env = await createTestEnv('e2e_cli');
    running = await startApp(env, { MODE: 'all' });
    dir = await mkdtemp(join(tmpdir(), 'ocrflow-cli-'));
    pdf = join(dir, 'scan.pdf');
    await writeFile(pdf, await scannedPdf(PAGES));
    cliEnv = { OCRFLOW_URL: await running.app.getUrl(), OCRFLOW_TOKEN: await token('cli-user') };
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('submit --wait on a terminal draws a progress bar to 3/3 and writes the text and results; status and results print the job', async () => {
    const out = join(dir, 'out');
    const result = await runInTerminal(['submit', pdf, '--wait', '--out', out], cliEnv);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The bar is redrawn in place (carriage returns) and reaches every page.
    expect(result.stdout).toMatch(/\rscan\.pdf \[#{20}\] 3\/3 pages SUCCEEDED/);
    const id = /scan\.pdf: ([0-9a-f-]{36})/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();

    const text = await readFile(join(out, 'scan.txt'), 'utf8');
    for (const word of ['ALPHA', 'BRAVO', 'CHARLIE']) expect(text).toContain(word);
    const saved = JSON.parse(await readFile(join(out, 'scan.json'), 'utf8'));
    expect(saved.pages.map((page: any) => page.number)).toEqual([1, 2, 3]);
    expect(saved.pages[1].text).toContain('BRAVO');

    const status = await run(process.execPath, [CLI, 'status', id!], cliEnv);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: 'SUCCEEDED', pages: { done: 3, total: 3 } });
    const results = await run(process.execPath, [CLI, 'results', id!], cliEnv);
    expect(results.code).toBe(0);
    expect(JSON.parse(results.stdout).text).toBe(text);
  });

  it('prints plain progress lines when stdout is not a terminal, and writes only the outputs asked for', async () => {
    const out = join(dir, 'plain');
    const result = await run(process.execPath, [CLI, 'submit', pdf, '--wait', '--pages', '2-3', '--outputs', 'text', '--out', out], cliEnv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('\r');
    expect(result.stdout).toContain('scan.pdf: 1/2 pages\nscan.pdf: 2/2 pages\nscan.pdf: SUCCEEDED\n');
    const text = await readFile(join(out, 'scan.txt'), 'utf8');
    expect(text).toContain('CHARLIE');
    expect(text).not.toContain('ALPHA');
    await expect(access(join(out, 'scan.json'))).rejects.toThrow();
  });

  it('asks the server for the file outputs named in --outputs and downloads them beside the text', async () => {
    const out = join(dir, 'files');
    const result = await run(process.execPath, [CLI, 'submit', pdf, '--wait', '--pages', '3', '--outputs', 'text,pdf,tsv', '--out', out], cliEnv);
    expect(result.code, result.stderr).toBe(0);
    const searchable = join(out, 'scan.pdf');
    expect((await run('pdftotext', [searchable, '-'])).stdout).toContain('CHARLIE');
    expect((await readFile(join(out, 'scan.tsv'), 'utf8')).split('\n')[0]).toBe('level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext');
    await expect(access(join(out, 'scan.json'))).rejects.toThrow();
    await expect(access(join(out, 'scan.hocr'))).rejects.toThrow();
  });

  it('exits 1 with the API error code for a bad token, an unknown --schema or --languages, and 2 for a missing file', async () => {
    const forged = await run(process.execPath, [CLI, 'submit', pdf], { ...cliEnv, OCRFLOW_TOKEN: await token('x', 'another-secret-of-at-least-32-chars!!') });
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('UNAUTHORIZED');

    // The service's own 400 reaches the user unchanged.
    const schema = await run(process.execPath, [CLI, 'submit', pdf, '--schema', 'no-such-schema'], cliEnv);
    expect(schema.code).toBe(1);
    expect(schema.stderr).toContain('SCHEMA_INVALID');

    const language = await run(process.execPath, [CLI, 'submit', pdf, '--languages', 'ita'], cliEnv);
    expect(language.code).toBe(1);
    expect(language.stderr).toContain('LANGUAGE_NOT_INSTALLED');
    expect(language.stderr).toContain('installed: eng, deu, fra');

    const missing = await run(process.execPath, [CLI, 'submit', join(dir, 'no-such.pdf')], cliEnv);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such.pdf');
  });

  it('token prints a token the service accepts', async () => {
    const minted = await run(process.execPath, [CLI, 'token', 'cli-user', '--hours', '1'], { JWT_SECRET: env.env.JWT_SECRET });
    expect(minted.code).toBe(0);
    const status = await run(process.execPath, [CLI, 'status', '00000000-0000-4000-8000-000000000000', '--token', minted.stdout.trim()], cliEnv);
    // Authenticated: the job is simply not there (a rejected token would be UNAUTHORIZED).
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('NOT_FOUND');
  });
});
