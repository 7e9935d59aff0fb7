import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A worker thread's entry file, given as its compiled `.js` URL beside the
 * module starting it. Under the test runner that module is the TypeScript
 * source, which a worker thread cannot load, so the compiled copy in `dist/`
 * is used instead (the test script builds first).
 */
export function threadFile(beside: URL): URL {
  if (existsSync(fileURLToPath(beside))) return beside;
  return pathToFileURL(fileURLToPath(beside).replace(/\/src\/(.+)$/, '/dist/$1'));
}
