import { createRequire } from 'node:module';
import semver from 'semver';

/**
 * Imported first by main.ts: on a Node older than package.json's `engines`,
 * the process stops with one clear line instead of failing later on an API
 * that Node does not have yet.
 */
const { engines } = createRequire(import.meta.url)('../package.json') as { engines: { node: string } };
if (!semver.satisfies(process.versions.node, engines.node)) {
  console.error(`ocrflow needs Node ${engines.node}; this is Node ${process.versions.node}`);
  process.exit(1);
}
