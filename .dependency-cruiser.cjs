// The layers of src/ and the imports they may make; test/architecture.int-spec.ts
// runs this in CI, and docs/architecture.md explains the rules. Type-only imports
// count: they are how a runtime dependency starts.
//
//   npm run lint:architecture
const BASE = 'common|config|generated';
const LIBRARIES = 'reader|ocr|fields|outputs';
const below = (...layers) => `^src/(${layers.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file that reaches itself through its imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'base-imports-only-base',
      severity: 'error',
      comment: 'common/ and config/ are what everything else stands on.',
      from: { path: '^src/(common|config)/' },
      to: { path: '^src/', pathNot: below(BASE) },
    },
    {
      name: 'libraries-know-no-service',
      severity: 'error',
      comment: 'reader/, ocr/, fields/ and outputs/ read documents, recognise text, find fields and write outputs (hOCR, ALTO, TSV, searchable PDF); they know no job, queue or HTTP.',
      from: { path: below(LIBRARIES) },
      to: { path: '^src/', pathNot: below(BASE, LIBRARIES) },
    },
    {
      name: 'infra-knows-no-service',
      severity: 'error',
      comment: 'infra/ wraps PostgreSQL, Redis, the artifact store and logging for whoever needs them.',
      from: { path: '^src/infra/' },
      to: { path: '^src/', pathNot: below(BASE, 'infra') },
    },
    {
      name: 'jobs-core-knows-no-feature',
      severity: 'error',
      comment: 'jobs/ (rows, the lifecycle, events, the queue) is what the features build on; it calls none of them.',
      from: { path: '^src/jobs/' },
      to: { path: '^src/', pathNot: below(BASE, LIBRARIES, 'infra', 'jobs') },
    },
    {
      name: 'cli-is-a-client',
      severity: 'error',
      comment: 'The command-line client talks to the API over HTTP only.',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/cli/' },
    },
    {
      name: 'only-the-root-composes',
      severity: 'error',
      comment: 'main.ts, app.factory.ts and app.module.ts choose the modules; nothing imports them.',
      from: { path: '^src/.+/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
  ],
  options: {
    includeOnly: '^src/',
    exclude: { path: ['^src/generated/', '\\.spec\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
