// Native Tesseract 5 (Debian's tesseract-ocr), the reference the service's OCR
// path is measured against. It is a benchmark dependency only, never a runtime one.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { treeCpu } from '../proc.mjs';

/** `tesseract --version`'s first two lines, or undefined when the binary is missing. */
export function nativeVersion() {
  const out = spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return undefined;
  const lines = `${out.stdout}\n${out.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return { tesseract: lines[0], leptonica: lines.find((l) => l.startsWith('leptonica')) ?? '' };
}

/**
 * A temporary tessdata folder holding one of the models the service loads
 * (gzipped for tesseract.js), unpacked for the CLI, so that a comparison can be
 * engine against engine rather than model against model.
 */
export function makeTessdata(langPath, lang = 'eng') {
  const dir = mkdtempSync(join(tmpdir(), 'ocrflow-bench-tessdata-'));
  writeFileSync(join(dir, `${lang}.traineddata`), gunzipSync(readFileSync(join(langPath, `${lang}.traineddata.gz`))));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * OCRs one image file with the CLI. `tessdata` and `psm` unset: the installed
 * model (Debian's tesseract-ocr-eng, tessdata_fast) and the CLI's own PSM 3,
 * as a user runs it. OMP_THREAD_LIMIT=1: with its default OpenMP threads
 * Tesseract is 5-6x slower on this 2-core machine; parallelism comes from
 * running several processes instead, as a service would.
 */
export function nativeOcr(imagePath, { tessdata, lang = 'eng', psm } = {}) {
  const args = [imagePath, 'stdout', '-l', lang, '--oem', '1'];
  if (tessdata) args.push('--tessdata-dir', tessdata);
  if (psm) args.push('--psm', String(psm));
  return new Promise((resolve, reject) => {
    execFile(
      'tesseract',
      args,
      { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`tesseract failed: ${stderr || error.message}`)) : resolve(stdout)),
    );
  });
}

/**
 * CPU seconds used so far by this process's threads (to the microsecond),
 * its finished child processes and its running ones (the native engine's),
 * robust to a busy machine where wall time is not.
 */
export function cpuSeconds() {
  const self = process.cpuUsage();
  const children = treeCpu(process.pid, { own: false });
  return (self.user + self.system) / 1e6 + children.user + children.system;
}
