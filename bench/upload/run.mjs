// POST /jobs with a small PNG under load, against bare Fastify + @fastify/multipart
// reading the same body, in the same run (the reference the upload path is
// measured against). Also GET /jobs/:id against /health/live of the same process.
//
//   npm run build && node bench/upload/run.mjs
//   BENCH_SECONDS=5 BENCH_CONNECTIONS=20 node bench/upload/run.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pg from 'pg';
import sharp from 'sharp';
import { migrate } from '../../scripts/db/migrate.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number.parseInt(process.env.BENCH_SECONDS ?? '10', 10);
const CONNECTIONS = Number.parseInt(process.env.BENCH_CONNECTIONS ?? '20', 10);
const SERVER = process.env.TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-secret-of-at-least-thirty-two-chars';

const freePort = () =>
  new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });

/** Starts a Node process and resolves once `url` answers 200. */
async function start(args, env, url) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; ; i++) {
    if ((await fetch(url).catch(() => undefined))?.ok) return child;
    if (i > 300 || child.exitCode !== null) throw new Error(`${args.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A multipart body with one PNG in the field `file`, as curl -F sends it. */
function multipart(png) {
  const boundary = '----ocrflowbench';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="page.png"\r\nContent-Type: image/png\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), png, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

async function load(url, { method = 'GET', headers = {}, body } = {}) {
  const result = await autocannon({ url, method, headers, body, connections: CONNECTIONS, duration: SECONDS });
  const statuses = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}×${count}`).join(' ');
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx, statuses };
}

// A 23 KB receipt-like PNG.
const lines = Array.from({ length: 12 }, (_, i) => `<text x="20" y="${40 + i * 36}">Item ${i + 1} ........ ${(i * 3.17).toFixed(2)}</text>`).join('');
const png = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="600" height="480"><rect width="100%" height="100%" fill="white"/><g font-family="DejaVu Sans" font-size="26">${lines}</g></svg>`))
  .greyscale()
  .png()
  .toBuffer();
const { body, contentType } = multipart(png);

const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-upload-'));
const suffix = Math.random().toString(16).slice(2, 10);
const databaseUrl = `${SERVER}/ocrflow_bench_upload_${suffix}`;
await migrate(databaseUrl, { log: () => undefined });
const [apiPort, barePort] = [await freePort(), await freePort()];
const children = [];
try {
  // ocrflow MODE=api: every check of the upload path on (type by magic bytes, pixel caps,
  // atomic store, row, enqueue); only the limiters are off, or they would answer 429s.
  children.push(
    await start(
      [join(ROOT, 'dist/main.js')],
      {
        MODE: 'api', PORT: String(apiPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SERVICE_ENV: 'test', DATABASE_URL: databaseUrl,
        REDIS_URL, JWT_SECRET: SECRET, QUEUE_PREFIX: `bench-upload-${suffix}`, ARTIFACT_STORE_PATH: join(work, 'artifacts'),
        ENABLE_RATE_LIMIT: 'false', QUOTA_REQUESTS_PER_MINUTE: '0', QUOTA_ACTIVE_JOBS: '0', QUOTA_PAGES_PER_DAY: '0',
      },
      `http://127.0.0.1:${apiPort}/health/live`,
    ),
  );
  children.push(await start([join(ROOT, 'bench/upload/bare-fastify.mjs')], { PORT: String(barePort) }, `http://127.0.0.1:${barePort}/health`));

  const token = await new SignJWT({ scope: 'jobs:read jobs:write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  const auth = { authorization: `Bearer ${token}` };
  const upload = { method: 'POST', headers: { ...auth, 'content-type': contentType }, body };

  const bare = await load(`http://127.0.0.1:${barePort}/jobs`, upload);
  const ours = await load(`http://127.0.0.1:${apiPort}/jobs`, upload);
  const { id } = await (await fetch(`http://127.0.0.1:${apiPort}/jobs`, { ...upload })).json();
  const get = await load(`http://127.0.0.1:${apiPort}/jobs/${id}`, { headers: auth });
  const live = await load(`http://127.0.0.1:${apiPort}/health/live`);

  const row = (name, r, ref) =>
    `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms` +
    `${ref ? `  ${((100 * r.rps) / ref.rps).toFixed(1).padStart(5)} % of reference` : ''}  ${r.statuses}`;
  console.log(`upload rate, ${CONNECTIONS} connections, ${SECONDS} s each, ${png.length} B PNG; ${availableParallelism()} cores (${cpus()[0]?.model}), Node ${process.version}`);
  console.log(row('bare Fastify + multipart (reference)', bare));
  console.log(row('ocrflow POST /jobs (MODE=api)', ours, bare));
  console.log(row('ocrflow /health/live (reference)', live));
  console.log(row('ocrflow GET /jobs/:id', get, live));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query('SELECT count(*)::int AS n FROM jobs');
  await db.end();
  console.log(`jobs stored: ${rows[0].n}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "ocrflow_bench_upload_${suffix}" WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`bench-upload-${suffix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  rmSync(work, { recursive: true, force: true });
}
