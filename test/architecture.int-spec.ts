import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');

interface Cruise {
  modules: { source: string; dependencies: { resolved: string }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

/** dependency-cruiser over `src/` of `cwd`, with the project's rules. */
function cruise(cwd: string): Cruise {
  const out = execFileSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as Cruise;
}

/** A file's room: `src/modules/<x>` and `src/infra/<x>`, or else its top folder under src. */
function room(path: string): string {
  const parts = path.split('/');
  if (parts.length === 2) return 'src';
  return parts.slice(0, parts[1] === 'modules' || parts[1] === 'infra' ? 3 : 2).join('/');
}

/** The cycles among rooms (strongly connected components of more than one room). */
function roomCycles({ modules }: Cruise): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const m of modules) {
    const from = room(m.source);
    for (const d of m.dependencies) {
      const to = room(d.resolved);
      if (to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const describeViolations = (c: Cruise) => c.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

describe('architecture (rules in .dependency-cruiser.cjs, explained in docs/architecture.md)', () => {
  const fixtures = mkdtempSync(join(tmpdir(), 'ocrflow-arch-'));
  afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

  /** A throwaway tree of the given files, cruised with the project's rules. */
  function cruiseFiles(files: Record<string, string>): Cruise {
    const dir = mkdtempSync(join(fixtures, 'tree-'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, dirname(path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return cruise(dir);
  }

  it('src/ keeps every rule, and no room reaches itself through other rooms', () => {
    const result = cruise(ROOT);
    expect(result.modules.length).toBeGreaterThan(80);
    expect(describeViolations(result)).toEqual([]);
    expect(roomCycles(result)).toEqual([]);
  });

  it('fails on a cycle between two rooms, even through type-only imports', () => {
    const result = cruiseFiles({
      'src/modules/documents/documents.service.ts': "import type { Fields } from '../extraction/extraction.service.js';\nexport type Page = { fields: Fields };\n",
      'src/modules/extraction/extraction.service.ts': "import type { Page } from '../documents/documents.service.js';\nexport type Fields = Page[];\n",
    });
    expect(roomCycles(result)).toEqual([['src/modules/documents', 'src/modules/extraction']]);
    expect(describeViolations(result)).toContain(
      'no-circular: src/modules/documents/documents.service.ts → src/modules/extraction/extraction.service.ts',
    );
  });

  it('fails on a room cycle that no single file closes', () => {
    const result = cruiseFiles({
      'src/metrics/metrics.service.ts': "import { jobName } from '../quota/names.js';\nexport const count = (): string => jobName;\n",
      'src/quota/names.ts': "export const jobName = 'job';\n",
      'src/quota/quotas.ts': "import { count } from '../metrics/metrics.service.js';\nexport const quota = count;\n",
    });
    expect(describeViolations(result)).toEqual([]);
    expect(roomCycles(result)).toEqual([['src/metrics', 'src/quota']]);
  });

  it('fails on an import against the layers', () => {
    const result = cruiseFiles({
      'src/jobs/job-lifecycle.ts': "import { MetricsService } from '../metrics/metrics.service.js';\nexport const lifecycle = MetricsService;\n",
      'src/metrics/metrics.service.ts': 'export class MetricsService {}\n',
      'src/ocr/ocr-pool.ts': "import { lifecycle } from '../jobs/job-lifecycle.js';\nexport const pool = lifecycle;\n",
      'src/infra/logging/request-log.ts': "import type { Principal } from '../../auth/principal.js';\nexport type Who = Principal;\n",
      'src/auth/principal.ts': 'export interface Principal { subject: string }\n',
    });
    expect(describeViolations(result).sort()).toEqual([
      'infra-knows-no-service: src/infra/logging/request-log.ts → src/auth/principal.ts',
      'jobs-core-knows-no-feature: src/jobs/job-lifecycle.ts → src/metrics/metrics.service.ts',
      'libraries-know-no-service: src/ocr/ocr-pool.ts → src/jobs/job-lifecycle.ts',
    ]);
  });
});
