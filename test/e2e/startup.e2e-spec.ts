import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DIST_MAIN } from '../support/process.js';

const { engines } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };

describe('start-up', () => {
  it('refuses to run on a Node older than package.json asks for, with one line saying so', async () => {
    // The built entry point, on a process that reports Node 22 (the only way to be older here).
    const pretend = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"22.12.0"})';
    const run = promisify(execFile)(process.execPath, ['--import', pretend, DIST_MAIN], { env: { PATH: process.env.PATH ?? '' } });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: `ocrflow needs Node ${engines.node}; this is Node 22.12.0\n` });
  });
});
