// The deployment files agree with the app: variable names and values its config
// accepts, its health paths and ports, its queue name, its shutdown timeout, its
// migration runner, and the image file sets. Each check reads the app's own source
// (config schema, controllers, queue contract), so a change on either side that
// breaks a deployment fails here.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { envSchema, FILE_KEYS, SECRET_KEYS } from '../../src/config/config.schema.js';
import { QueueName } from '../../src/jobs/queue-contract.js';
import { appContainers, type AppContainer } from './containers.js';
import { COMPOSE_FILES, GiB, ROOT, byKind, bytes, configDefault, cpus, healthPaths, read, readYaml } from './support.js';

const containers = appContainers();
const running = containers.filter((c) => c.role !== 'migrate');
const exampleKeys = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
const schemaKeys = new Set([...Object.keys(envSchema.shape), ...FILE_KEYS.map((k) => `${k}_FILE`)]);
const names = (c: AppContainer) => [...Object.keys(c.env), ...c.fromSecrets];
const label = (list: AppContainer[]) => list.map((c) => [c.where, c] as const);

/** Syntactically valid stand-ins for what a secret store provides. */
const SAMPLE: Record<string, string> = {
  DATABASE_URL: 'postgresql://ocrflow:secret@db.internal:5432/ocrflow',
  REDIS_URL: 'rediss://:secret@redis.internal:6379',
  JWT_SECRET: 'a-real-secret-of-forty-eight-characters-0123456',
  S3_ACCESS_KEY_ID: 'AKIASAMPLEKEY0000000',
  S3_SECRET_ACCESS_KEY: 'sample-secret-access-key',
};

/** The environment a process would see, with secret-store values filled in. */
function environment(c: AppContainer): Record<string, string> {
  const env = { ...c.env };
  for (const key of c.fromSecrets) env[key] = SAMPLE[key];
  // An env_file or the platform's config adds the secrets the file does not set.
  if (c.envFile) for (const key of ['DATABASE_URL', 'JWT_SECRET']) env[key] ??= SAMPLE[key];
  return env;
}

describe('environment variables in deployment files', () => {
  it('every file runs the api, the worker and the migration somewhere', () => {
    expect(new Set(containers.map((c) => c.role))).toEqual(new Set(['api', 'worker', 'migrate']));
    expect(containers.length).toBeGreaterThanOrEqual(15);
  });

  it.each(label(containers))('%s: every variable exists in the config schema and .env.example', (_, c) => {
    for (const name of names(c)) {
      expect(schemaKeys.has(name), `${name} is not a setting of src/config/config.schema.ts`).toBe(true);
      expect(exampleKeys.has(name.replace(/_FILE$/, '')), `${name} is not in .env.example`).toBe(true);
    }
  });

  it.each(label(running))('%s: the app’s config accepts the environment, in the intended mode', (_, c) => {
    let config;
    try {
      config = loadConfig(environment(c));
    } catch (error) {
      throw error instanceof ConfigError ? new Error(`${c.where}: ${error.message}`) : error;
    }
    expect(config.mode).toBe(c.role);
  });

  // The bucket's placeholder key pair passes the config (any string may be a key
  // id) and is refused by the bucket at start-up instead (artifact-store.int-spec).
  const validated = ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET'];
  it.each(label(containers.filter((c) => Object.keys(c.placeholders).some((k) => validated.includes(k)))))(
    '%s: placeholder secrets are refused at start-up, not run with',
    (_, c) => {
      expect(Object.values(c.placeholders).every((v) => v.includes('REPLACE_ME'))).toBe(true);
      const env = { ...environment(c), ...c.placeholders };
      expect(() => loadConfig(env)).toThrow(new RegExp(Object.keys(c.placeholders).filter((k) => validated.includes(k)).join('|')));
    },
  );

  it.each(label(containers))('%s: secrets come from a secret store or a file, never a literal', (_, c) => {
    expect(c.env.JWT_SECRET, 'JWT_SECRET is written out').toBeUndefined();
    for (const key of ['DATABASE_URL', 'REDIS_URL']) {
      if (c.env[key] === undefined) continue;
      // A URL in the file (compose's own PostgreSQL and Redis) may carry a password
      // only through interpolation, e.g. ${POSTGRES_PASSWORD:?}.
      const { password } = new URL(c.env[key]);
      expect(password === '' || password.startsWith('sample-'), `${key} holds a literal password`).toBe(true);
    }
    expect(c.fromSecrets.filter((k) => !(SECRET_KEYS as readonly string[]).includes(k))).toEqual([]);
  });

  it.each(label(containers.filter((c) => c.role === 'migrate')))('%s: the migration gets DATABASE_URL and runs the repo’s migrator', (_, c) => {
    expect(c.envFile || c.fromSecrets.includes('DATABASE_URL') || 'DATABASE_URL' in c.env).toBe(true);
    expect(c.command).toEqual(['node', 'scripts/db/migrate.mjs']);
    expect(existsSync(path.join(ROOT, 'scripts/db/migrate.mjs'))).toBe(true);
    // Only the api image (Dockerfile) carries scripts/db; the worker image does not.
    expect(c.image ?? 'Dockerfile').not.toMatch(/worker/);
  });
});

describe('health checks and ports', () => {
  const served = healthPaths();
  const defaults = { api: { name: 'PORT', port: configDefault('PORT') }, worker: { name: 'WORKER_PORT', port: configDefault('WORKER_PORT') } };

  it('the app serves the paths the files probe', () => {
    expect(served).toEqual(expect.arrayContaining(['/health', '/health/live', '/health/ready']));
  });

  // App Platform workers and Procfile processes get no HTTP health check from their platform.
  const probed = running.filter((c) => !c.where.startsWith('Procfile') && !(c.where.startsWith('deploy/app-platform') && c.role === 'worker'));

  it.each(label(probed))('%s: probes a served path on the port the process listens on', (_, c) => {
    const role = c.role as 'api' | 'worker';
    const listens = Number(environment(c)[defaults[role].name] ?? defaults[role].port);
    expect(c.health.length, 'no health check').toBeGreaterThan(0);
    for (const check of c.health) {
      expect(served).toContain(check.path);
      if (check.port !== undefined) expect(check.port).toBe(listens);
      if (check.portVar) expect(check.portVar).toEqual({ name: defaults[role].name, fallback: defaults[role].port });
    }
    if (c.containerPorts.length) expect(c.containerPorts).toContain(listens);
  });

  it.each(label(running.filter((c) => c.where.startsWith('deploy/k8s'))))('%s: liveness on /health/live, readiness on /health/ready', (_, c) => {
    expect(c.health.find((h) => h.kind === 'liveness')?.path).toBe('/health/live');
    expect(c.health.find((h) => h.kind === 'readiness')?.path).toBe('/health/ready');
  });
});

describe('shutdown, resources and shared artifacts', () => {
  it.each(label(running.filter((c) => c.stopGraceSeconds !== undefined || !c.where.startsWith('Procfile'))))(
    '%s: the platform waits longer than SHUTDOWN_TIMEOUT_MS before killing',
    (_, c) => {
      const timeoutMs = Number(environment(c).SHUTDOWN_TIMEOUT_MS ?? configDefault('SHUTDOWN_TIMEOUT_MS'));
      expect(c.stopGraceSeconds, 'no stop grace period set').toBeDefined();
      expect(c.stopGraceSeconds! * 1000).toBeGreaterThan(timeoutMs);
    },
  );

  it.each(label(running.filter((c) => c.role === 'worker' && c.resources)))('%s: about 1 CPU and 1 GiB per OCR engine', (_, c) => {
    const engines = Number(c.env.OCR_WORKERS);
    expect(engines, 'OCR_WORKERS must be explicit: the CPUs a container sees are not its quota').toBeGreaterThan(0);
    expect(c.env.QUEUE_CONCURRENCY).toBe(c.env.OCR_WORKERS);
    expect(cpus(c.resources!.cpus)).toBeGreaterThanOrEqual(engines);
    expect(bytes(c.resources!.memory)).toBeGreaterThanOrEqual(engines * GiB);
  });

  const local = running.filter((c) => !c.where.startsWith('Procfile') && loadConfig(environment(c)).artifacts.type === 'local');
  it.each(label(local))('%s: a local store mounts the artifact volume at ARTIFACT_STORE_PATH', (_, c) => {
    expect(c.artifacts?.path).toBe(environment(c).ARTIFACT_STORE_PATH);
  });

  // The deployment the design promises: API and workers on different machines, sharing no disk.
  it.each(label(running.filter((c) => /^deploy\/(ecs|k8s|app-platform)/.test(c.where))))('%s: uses the S3 store and mounts no artifact volume', (_, c) => {
    expect(loadConfig(environment(c)).artifacts).toMatchObject({ type: 's3', bucket: expect.any(String) });
    expect(c.artifacts).toBeUndefined();
  });

  it('api and worker share one artifact store wherever both are defined together', () => {
    const store = (c: AppContainer) => {
      const artifacts = loadConfig(environment(c)).artifacts;
      return artifacts.type === 's3' ? JSON.stringify([artifacts.endpoint, artifacts.region, artifacts.bucket, artifacts.prefix]) : c.artifacts!.volume;
    };
    for (const prefix of ['docker-compose.prod.yml', 'deploy/k8s', 'deploy/ecs', 'deploy/app-platform']) {
      const stores = new Set(running.filter((c) => c.where.startsWith(prefix)).map(store));
      expect(stores.size, prefix).toBe(1);
    }
    // Split compose files: the same host path, which must be one NFS/EFS mount on every host.
    const split = ['docker-compose.prod.api.yml', 'docker-compose.prod.worker.yml'].map((f) => running.find((c) => c.where.startsWith(f))!.artifacts!.volume.split(':').slice(1).join(':'));
    expect(split[0]).toBe(split[1]);
    // The documented shared-volume alternative for Kubernetes.
    expect(readYaml('deploy/k8s/shared-volume/artifacts-pvc.yaml').spec.accessModes).toEqual(['ReadWriteMany']);
  });
});

describe('Compose topology', () => {
  it('docker-compose.prod.yml starts api and worker only after a successful migration and healthy stores', () => {
    const { services, volumes } = readYaml('docker-compose.prod.yml');
    for (const name of ['api', 'worker']) {
      expect(services[name].depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
      expect(services[name].restart).toBe('unless-stopped');
    }
    expect(services.migrate.restart).toBe('no');
    expect(services.postgres.healthcheck).toBeDefined();
    expect(services.redis.healthcheck).toBeDefined();
    expect(services.postgres.volumes[0]).toMatch(/^postgres-data:\/var\/lib\/postgresql\/data$/);
    expect(Object.keys(volumes)).toEqual(expect.arrayContaining(['postgres-data', 'artifacts']));
  });

  it.each(COMPOSE_FILES.filter((f) => readYaml(f).services.worker))('%s: workers can be scaled (no container_name, no published port)', (file) => {
    const worker = readYaml(file).services.worker;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('docker-compose.prod.api.yml and .worker.yml run only their own role against external stores', () => {
    expect(Object.keys(readYaml('docker-compose.prod.api.yml').services)).toEqual(['api']);
    expect(Object.keys(readYaml('docker-compose.prod.worker.yml').services)).toEqual(['worker']);
  });
});

describe('Kubernetes wiring', () => {
  const configMap = byKind('ConfigMap', 'ocrflow-config')[0];

  it('KEDA scales the worker Deployment on the BullMQ wait list of the queue the app uses', () => {
    const [scaled] = byKind('ScaledObject');
    const prefix = configMap.data.QUEUE_PREFIX ?? configDefault('QUEUE_PREFIX');
    const trigger = scaled.spec.triggers.find((t: any) => t.type === 'redis');
    expect(trigger.metadata.listName).toBe(`${prefix}:${QueueName.OCR}:wait`);
    expect(byKind('Deployment', scaled.spec.scaleTargetRef.name)[0].spec.template.spec.containers[0].env).toContainEqual({ name: 'MODE', value: 'worker' });
    // Workers run the reconciler: there must always be one.
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const auth = byKind('TriggerAuthentication', trigger.authenticationRef.name)[0];
    for (const ref of auth.spec.secretTargetRef) expect(byKind('Secret', ref.name)[0].stringData).toHaveProperty(ref.key);
  });

  it('autoscaled Deployments leave replicas to their autoscaler', () => {
    const [hpa] = byKind('HorizontalPodAutoscaler');
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    for (const name of [hpa.spec.scaleTargetRef.name, byKind('ScaledObject')[0].spec.scaleTargetRef.name]) {
      expect(byKind('Deployment', name)[0].spec.replicas).toBeUndefined();
    }
  });

  it('Services, PodDisruptionBudgets and pods agree on labels and ports', () => {
    const pods = byKind('Deployment').map((d) => d.spec.template);
    const matches = (selector: Record<string, string>) => pods.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels[k] === v));
    for (const pdb of byKind('PodDisruptionBudget')) expect(matches(pdb.spec.selector.matchLabels)).toHaveLength(1);
    for (const service of byKind('Service')) {
      const [pod] = matches(service.spec.selector);
      for (const port of service.spec.ports) expect(pod.spec.containers[0].ports.map((p: any) => p.name)).toContain(port.targetPort);
    }
  });

  it('every pod runs as non-root with resource requests and limits', () => {
    for (const w of [...byKind('Deployment'), ...byKind('Job')]) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
      for (const c of pod.containers) {
        expect(c.resources.requests, w.metadata.name).toBeDefined();
        expect(c.resources.limits, w.metadata.name).toBeDefined();
      }
    }
  });

  it('the ConfigMap and Secret template carry no secret in the clear', () => {
    for (const key of SECRET_KEYS) expect(configMap.data).not.toHaveProperty(key);
    for (const secret of byKind('Secret')) for (const v of Object.values<string>(secret.stringData)) expect(v).toContain('REPLACE_ME');
  });
});

describe('images', () => {
  // Continuation lines joined, so an ENV block reads as one line.
  const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ');
  const worker = read('Dockerfile.worker').replace(/\\\n/g, ' ');

  it.each([['Dockerfile', dockerfile], ['Dockerfile.worker', worker]])('%s: official Node 24, production deps, non-root, tini, no secrets', (_, text) => {
    expect([...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    expect(text).toMatch(/npm prune --omit=dev/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(text).toMatch(/apt-get install -y --no-install-recommends tini/);
    for (const key of [...SECRET_KEYS, 'JWT_PUBLIC_KEY']) expect(text).not.toMatch(new RegExp(`^(ENV|ARG)\\b.*\\b${key}\\b`, 'm'));
  });

  it('HEALTHCHECKs probe /health/live on PORT (api, all) and WORKER_PORT (worker) with the config defaults', () => {
    const check = (text: string) => text.match(/^HEALTHCHECK[\s\S]*?CMD (.*)$/m)![1];
    expect(check(dockerfile)).toContain(`process.env.WORKER_PORT||${configDefault('WORKER_PORT')}`);
    expect(check(dockerfile)).toContain(`process.env.PORT||${configDefault('PORT')}`);
    expect(check(worker)).toContain(`process.env.WORKER_PORT||${configDefault('WORKER_PORT')}`);
    expect(check(worker)).toContain("'/health/live'");
    expect(worker).toMatch(/^ENV .*\bMODE=worker\b/m);
  });

  it('the worker image installs Tesseract and picks its engine when it is there (OCR_ENGINE=auto)', () => {
    expect(worker).toMatch(/^ARG NATIVE_TESSERACT=true$/m);
    expect(worker).toMatch(/apt-get install [^\n]*\$NATIVE_TESSERACT[^\n]*tesseract-ocr/);
    expect(worker).toMatch(/^ENV .*\bOCR_ENGINE=auto\b/m);
  });

  it('.dockerignore keeps local secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.env', '.env.*', '**/*.pem', '.npmrc']) expect(ignored).toContain(entry);
  });
});

describe('nginx and the API', () => {
  const conf = read('deploy/nginx/ocrflow.conf');

  it('the SSE location matches the API’s event route and streams without buffering', () => {
    const route = read('src/modules/documents/http/jobs.controller.ts').match(/@Sse\('([^']+)'\)/)![1];
    const sample = `/${route.replace(/:\w+/g, '8a6e0804-2bd0-4672-b79d-d97358ddb68f')}`;
    const [, pattern, body] = conf.match(/location ~ (\S+) \{([^}]*)\}/)!;
    expect(new RegExp(pattern).test(sample)).toBe(true);
    expect(new RegExp(pattern).test('/jobs/8a6e0804-2bd0-4672-b79d-d97358ddb68f/results')).toBe(false);
    expect(body).toMatch(/proxy_buffering off;/);
    // Far longer than the API's 15 s keep-alive comments.
    const [, amount, unit] = body.match(/proxy_read_timeout (\d+)([smh]);/)!;
    expect(Number(amount) * { s: 1, m: 60, h: 3600 }[unit as 's']).toBeGreaterThanOrEqual(300);
  });

  it('client_max_body_size lets a MAX_UPLOAD_BYTES file through, with at most 2 MiB for the multipart envelope', () => {
    const [, size] = conf.match(/client_max_body_size (\d+)m;/)!;
    const max = Number(configDefault('MAX_UPLOAD_BYTES'));
    expect(Number(size) * 1024 * 1024).toBeGreaterThan(max);
    expect(Number(size) * 1024 * 1024).toBeLessThanOrEqual(max + 2 * 1024 * 1024);
  });
});

describe('docs/deployment.md', () => {
  it('lists every variable of .env.example', () => {
    const doc = read('docs/deployment.md');
    for (const key of exampleKeys) expect(doc, key).toContain(`\`${key}\``);
  });
});
