import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC compiles the tests so Nest's decorators get the design-time metadata
// that dependency injection reads (esbuild does not emit it).
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.int-spec.ts', 'test/**/*.e2e-spec.ts'],
    // Each file gets its own database and queue prefix, so files may run in
    // parallel; two at a time fits the two cores OCR competes for.
    maxWorkers: 2,
    // Generous: a slow machine makes OCR slower, and that alone must not fail a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    setupFiles: ['test/setup/reflect-metadata.ts'],
  },
});
