import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const DIST_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the built service (`npm start` runs the same file) as its own
 * process, the way a container runs it: with the images' and `npm start`'s
 * `MALLOC_ARENA_MAX=2`. Output is kept for failure messages.
 */
export function startService(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--enable-source-maps', DIST_MAIN], {
    env: { PATH: process.env.PATH ?? '', MALLOC_ARENA_MAX: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return Object.assign(child, { output: () => output });
}

/** SIGKILL, as a crash or an outage would stop it; resolves once it has exited. */
export async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

/** Sends SIGTERM and resolves with the exit code. */
export function stopService(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}
