// The same 10-page scanned PDF through an API process and a worker process
// (upload → SUCCEEDED, over HTTP, each process freshly started, default
// settings), with the artifact store a local directory and then an S3 bucket
// (s3rver on loopback, the server the tests use). Rounds alternate the two
// stores; the ratio is S3 against local, measured in the same run.
//
//   npm run build && node bench/storage/run.mjs
//   BENCH_STORE_ROUNDS=3 BENCH_DOC_PAGES=4 node bench/storage/run.mjs
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { apiClient, benchEnv, freePort, pageLines, scannedPdf, startService } from '../documents/service.mjs';

const PAGES = Number.parseInt(process.env.BENCH_DOC_PAGES ?? '10', 10);
const ROUNDS = Number.parseInt(process.env.BENCH_STORE_ROUNDS ?? '3', 10);
const BUCKET = 'ocrflow-bench';

/** s3rver in a child process, as test/support/s3-server.ts runs it. */
async function startS3(directory) {
  const port = await freePort();
  const script = `
    const { default: S3rver } = await import('@20minutes/s3rver');
    await new S3rver({ address: '127.0.0.1', port: ${port}, directory: ${JSON.stringify(directory)}, silent: true,
      allowMismatchedSignatures: true, configureBuckets: [{ name: '${BUCKET}' }] }).run();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  for (;;) {
    const up = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), done(true)));
      socket.once('error', () => done(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    env: {
      ARTIFACT_STORE_TYPE: 's3', ARTIFACT_STORE_BUCKET: BUCKET, S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    stop: () => child.kill('SIGKILL'),
  };
}

/** One job through a fresh API process and a fresh worker process sharing `storeEnv`. */
async function run(env, storeEnv, pdf) {
  const apiPort = await freePort();
  const workerPort = await freePort();
  const [api, worker] = await Promise.all([
    startService({ ...env, ...storeEnv, MODE: 'api', PORT: String(apiPort) }, `http://127.0.0.1:${apiPort}/health`),
    startService({ ...env, ...storeEnv, MODE: 'worker', WORKER_PORT: String(workerPort) }, `http://127.0.0.1:${workerPort}/health`),
  ]);
  try {
    const client = await apiClient(`http://127.0.0.1:${apiPort}`);
    const started = performance.now();
    const id = await client.submit(pdf, 'scan.pdf');
    const uploaded = performance.now() - started;
    const job = await client.finished(id);
    const wall = performance.now() - started;
    if (job.status !== 'SUCCEEDED') throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);
    const line = worker.log().split('\n').find((l) => l.includes('document processed') && l.includes(id));
    return { wall, uploaded, open: line ? JSON.parse(line).ms.open : NaN };
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
}

const work = mkdtempSync(join(tmpdir(), 'ocrflow-bench-store-'));
mkdirSync(join(work, 's3'));
const pdf = await scannedPdf(Array.from({ length: PAGES }, (_, n) => pageLines(n + 1)));
const s3 = await startS3(join(work, 's3'));
const { env, drop } = await benchEnv('store', work);
try {
  const times = { local: [], s3: [] };
  for (let round = 0; round < ROUNDS; round++) {
    times.local.push(await run(env, { ARTIFACT_STORE_TYPE: 'local' }, pdf));
    times.s3.push(await run(env, s3.env, pdf));
  }
  const median = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    return Number.isInteger(mid) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[Math.floor(mid)];
  };
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${PAGES}-page scanned PDF (${(pdf.length / 1e6).toFixed(1)} MB), API + worker processes, default settings, ${availableParallelism()} cores, ${ROUNDS} round(s)\n`);
  console.log('store    upload (202)   open in worker   upload → SUCCEEDED (each round)');
  for (const [store, runs] of Object.entries(times)) {
    console.log(
      `${store.padEnd(8)} ${fmt(median(runs.map((r) => r.uploaded))).padStart(12)}   ${`${median(runs.map((r) => r.open))} ms`.padStart(14)}   ${runs.map((r) => fmt(r.wall)).join(', ')}`,
    );
  }
  const ratio = median(times.s3.map((r) => r.wall)) / median(times.local.map((r) => r.wall));
  console.log(`\nS3 / local, upload → SUCCEEDED (medians): ${ratio.toFixed(3)}x`);
} finally {
  s3.stop();
  await drop();
  rmSync(work, { recursive: true, force: true });
}
