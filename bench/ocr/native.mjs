// Native Tesseract 5 (Debian's tesseract-ocr), the reference the service's OCR
// path is measured against. It is a benchmark dependency only, never a runtime one.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** `tesseract --version`'s first two lines, or undefined when the binary is missing. */
export function nativeVersion() {
  const out = spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return undefined;
  const lines = `${out.stdout}\n${out.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return { tesseract: lines[0], leptonica: lines.find((l) => l.startsWith('leptonica')) ?? '' };
}

/**
 * A temporary tessdata folder holding the SAME model the service loads (the
 * gzipped file from @tesseract.js-data), so the comparison is engine against
 * engine, not model against model. Debian's own eng.traineddata is a different
 * ("fast") model and is deliberately not used.
 */
export function makeTessdata(langPath, lang = 'eng') {
  const dir = mkdtempSync(join(tmpdir(), 'ocrflow-bench-tessdata-'));
  writeFileSync(join(dir, `${lang}.traineddata`), gunzipSync(readFileSync(join(langPath, `${lang}.traineddata.gz`))));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * OCRs one image file with the CLI. OMP_THREAD_LIMIT=1: with its default OpenMP
 * threads Tesseract is 5-6x slower on this 2-core machine; parallelism comes
 * from running several processes instead, as a service would.
 */
export function nativeOcr(imagePath, { tessdata, lang = 'eng', psm }) {
  const args = [imagePath, 'stdout', '--tessdata-dir', tessdata, '-l', lang, '--oem', '1', '--psm', String(psm)];
  return new Promise((resolve, reject) => {
    execFile(
      'tesseract',
      args,
      { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`tesseract failed: ${stderr || error.message}`)) : resolve(stdout)),
    );
  });
}
