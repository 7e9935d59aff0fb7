// `prisma generate` that works without Prisma's download server. Extra arguments are passed
// through (e.g. `node scripts/db/generate.mjs --no-hints`).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The CLI wants a native schema engine before any command and downloads one unless this
// variable names an existing file; it only checks that the file exists. `generate` itself
// runs on the wasm bundled in the CLI and never executes that engine, so any file will do.
// We pick the (non-executable) schema file: should anything ever try to run it, it fails loudly.
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ||= path.join(ROOT, 'prisma/schema.prisma');

// Run the CLI's JS with this Node rather than via its `#!/usr/bin/env node` line, which
// could pick an older Node from PATH.
const cli = path.join(ROOT, 'node_modules/.bin/prisma');
const child = spawn(process.execPath, [cli, 'generate', ...process.argv.slice(2)], { cwd: ROOT, env, stdio: 'inherit' });
child.on('error', (error) => {
  console.error(`could not start ${cli}: ${error.message}`);
  process.exitCode = 1;
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 1;
});
