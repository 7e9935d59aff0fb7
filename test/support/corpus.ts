import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared corpus of public test documents: `../shared/corpus` beside the
 * project on the development machines, `OCRFLOW_CORPUS` elsewhere. Users of the
 * project do not have it, so suites that read it skip with a printed reason.
 */
export const CORPUS_DIR =
  process.env.OCRFLOW_CORPUS ?? resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/corpus');

/** True when `relative` exists in the corpus; warns once per suite when it does not. */
export function corpusHas(relative: string, suite: string): boolean {
  const present = existsSync(join(CORPUS_DIR, relative));
  if (!present) console.warn(`[${suite}] skipped: no corpus at ${CORPUS_DIR} (set OCRFLOW_CORPUS)`);
  return present;
}

export function corpusPath(...parts: string[]): string {
  return join(CORPUS_DIR, ...parts);
}
