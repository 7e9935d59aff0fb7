// Runs one probe against a freshly started service (MODE=all, one OCR engine,
// a database and queue prefix of its own), the way a hostile client or an
// operator would meet it, and prints what the probe measured.
//
//   npm run build && node bench/probes/run.mjs bench/probes/http-edges.mjs
//   EXTRA='{"QUEUE_CONCURRENCY":"1"}' node bench/probes/run.mjs bench/probes/cancel.mjs
//
// A probe exports `default async ({ base, client, service })`; EXTRA adds settings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { apiClient, benchEnv, freePort, startService } from '../documents/service.mjs';

const probe = await import(pathToFileURL(resolve(process.argv[2])).href);
const work = mkdtempSync(join(tmpdir(), 'ocrflow-probe-'));
const { env, drop } = await benchEnv('probe', work);
const port = await freePort();
const settings = { ...env, MODE: 'all', PORT: String(port), OCR_WORKERS: '1', ...JSON.parse(process.env.EXTRA ?? '{}') };
const service = await startService(settings, `http://127.0.0.1:${port}/health`);
const base = `http://127.0.0.1:${port}`;
try {
  await probe.default({ base, client: await apiClient(base), service });
} finally {
  await service.stop();
  await drop();
  rmSync(work, { recursive: true, force: true });
}
