import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./log-destination.ts', import.meta.url));

/** Standard output of a Node process that runs `body` with `destination` in scope (Node strips the types). */
function outputOf(body: string): string {
  const script = `import { stdoutDestination } from ${JSON.stringify(MODULE)};\nconst destination = stdoutDestination();\n${body}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8', timeout: 30_000 });
  expect(run.stderr).toBe('');
  return run.stdout;
}

describe('stdoutDestination', () => {
  it('writes the lines of a turn in order once the turn is over', () => {
    const out = outputOf(`
      destination.write('one\\n');
      destination.write('two\\n');
      setImmediate(() => destination.write('three\\n'));
    `);
    expect(out).toBe('one\ntwo\nthree\n');
  });

  it('writes what is pending when the process exits in the same turn', () => {
    const out = outputOf(`
      for (let i = 0; i < 1000; i++) destination.write(\`line \${i}\\n\`);
      setImmediate(() => {
        destination.write('last\\n');
        process.exit(0);
      });
    `);
    const lines = out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1001);
    expect(lines.at(-1)).toBe('last');
  });
});
