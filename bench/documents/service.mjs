// What the whole-service benches share: generated A4 scans of known text, and
// the built service started on a database and queue prefix of its own.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { PDFDocument } from 'pdf-lib';
import pg from 'pg';
import sharp from 'sharp';
import { migrate } from '../../scripts/db/migrate.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-secret-of-at-least-thirty-two-chars';

const WORDS = 'the quick brown fox jumps over a lazy dog while invoices receipts and letters arrive as scans 2026'.split(' ');

/** Page n's lines: prose varied by page, 26 lines of 10 words. */
export function pageLines(n) {
  return Array.from({ length: 26 }, (_, i) =>
    Array.from({ length: 10 }, (_, w) => WORDS[(n * 7 + i * 3 + w * 5) % WORDS.length]).join(' ') + ` ${n}.${i}`,
  );
}

/** The lines as a greyscale PNG of an A4 page at 300 dpi (2480 x 3508). */
export async function pagePng(lines) {
  const text = lines.map((l, i) => `<text x="200" y="${300 + i * 110}">${l}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2480" height="3508"><rect width="100%" height="100%" fill="white"/><g font-family="DejaVu Sans, sans-serif" font-size="46">${text}</g></svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: '#fff' }).greyscale().png().toBuffer();
}

/** A scanned PDF: each page only an A4 image of its lines, no text layer. */
export async function scannedPdf(pages) {
  const pdf = await PDFDocument.create();
  for (const lines of pages) {
    const png = await pdf.embedPng(await pagePng(lines));
    pdf.addPage([595, 842]).drawImage(png, { x: 0, y: 0, width: 595, height: 842 });
  }
  return Buffer.from(await pdf.save());
}

export const freePort = () =>
  new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });

/** The `OCR_*` variables of the bench's own environment, which the service it starts is given. */
export const ocrSettings = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OCR_')));

/**
 * A database and queue prefix of the bench's own, and the environment every
 * service process started on them shares. `drop()` removes both.
 */
export async function benchEnv(name, workDir) {
  const suffix = Math.random().toString(16).slice(2, 10);
  const database = `ocrflow_bench_${name}_${suffix}`;
  const databaseUrl = `${SERVER}/${database}`;
  await migrate(databaseUrl, { log: () => undefined });
  const env = {
    PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'info', SERVICE_ENV: 'test',
    DATABASE_URL: databaseUrl, REDIS_URL, JWT_SECRET: SECRET, QUEUE_PREFIX: `bench-${suffix}`,
    ARTIFACT_STORE_PATH: join(workDir, 'artifacts'),
    ENABLE_RATE_LIMIT: 'false', // pollers ask ten times a second
  };
  const drop = async () => {
    const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`bench-${suffix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  };
  return { env, databaseUrl, drop };
}

/**
 * Starts `dist/main.js` with `env` (plus `node` flags in `execArgv`) and
 * resolves once `healthUrl` answers. Its log lines are kept in `log()`.
 */
export async function startService(env, healthUrl, execArgv = []) {
  const child = spawn(process.execPath, [...execArgv, join(ROOT, 'dist/main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  for (let i = 0; ; i++) {
    if ((await fetch(healthUrl).catch(() => undefined))?.ok) break;
    if (i > 300 || child.exitCode !== null) throw new Error(`service did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = () => {
    if (child.exitCode !== null) return Promise.resolve();
    child.kill('SIGTERM');
    return new Promise((r) => child.once('exit', r));
  };
  return { child, log: () => log, stop };
}

/** A client of the API at `base`, as one subject with read and write scopes. */
export async function apiClient(base) {
  const jwt = await new SignJWT({ scope: 'jobs:read jobs:write' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
  const headers = { authorization: `Bearer ${jwt}` };
  const get = async (path) => (await fetch(`${base}${path}`, { headers })).json();
  return {
    /** The Authorization header, for requests the client has no method for. */
    headers,
    get,
    /** Uploads the file, with any other form fields (and request headers), and resolves with the job id. */
    async submit(data, fileName, fields = {}, extraHeaders = {}) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([data]), fileName);
      const res = await fetch(`${base}/jobs`, { method: 'POST', body: form, headers: { ...headers, ...extraHeaders } });
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      return (await res.json()).id;
    },
    /**
     * Follows the job's server-sent events until a terminal one (the stream
     * replays what happened before it opened) and resolves with its type. A
     * stream rather than a poller: a fast poller takes CPU from the OCR in the
     * same process, and several run into the subject's request quota.
     */
    async settled(id) {
      const res = await fetch(`${base}/jobs/${id}/events`, { headers });
      // QUOTA_EVENT_STREAMS (per subject) refuses streams past it: a bench must stay under it.
      if (!res.ok) throw new Error(`the event stream of job ${id} answered ${res.status}: ${await res.text()}`);
      const decoder = new TextDecoder();
      let seen = '';
      for await (const chunk of res.body) {
        seen += decoder.decode(chunk, { stream: true });
        const terminal = /^event: (succeeded|partial|failed|cancelled)$/m.exec(seen);
        if (terminal) {
          await res.body.cancel().catch(() => undefined);
          return terminal[1];
        }
      }
      throw new Error(`the event stream of job ${id} ended without a terminal event`);
    },
    /** Polls ten times a second until the job is finished; resolves with it. */
    async finished(id) {
      for (;;) {
        await new Promise((r) => setTimeout(r, 100));
        const job = await get(`/jobs/${id}`);
        if (job.status !== 'QUEUED' && job.status !== 'RUNNING') return job;
      }
    },
  };
}
