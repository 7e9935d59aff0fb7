// The deployment files are well-formed: Compose files against the Compose
// Specification schema, Kubernetes manifests against the Kubernetes (1.27) and KEDA
// schemas of test/fixtures/k8s-schemas, and the ECS task definitions, App Platform
// spec, Procfile and nginx configuration have what their platforms require.
// Cross-checks against the app itself are in deploy-drift.int-spec.ts.
// (`.int-spec`: vitest.config.ts picks up `*.spec.ts` only under src/.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMPOSE_FILES,
  ECS_FILES,
  ROOT,
  composeValidator,
  errorsText,
  k8sObjects,
  k8sValidators,
  read,
  readJson,
  readYaml,
} from './support.js';

describe('Compose files', () => {
  const validate = composeValidator();

  it.each(COMPOSE_FILES)('%s validates against the Compose Specification schema', (file) => {
    const ok = validate(readYaml(file));
    expect(ok, `${file}:\n${errorsText(validate)}`).toBe(true);
  });

  it('the schema rejects what Compose rejects (an unknown service key, a bad depends_on condition)', () => {
    expect(validate({ services: { api: { image: 'x', restart_policy: 'always' } } })).toBe(false);
    expect(validate({ services: { api: { image: 'x', depends_on: { db: { condition: 'service_ready' } } } } })).toBe(false);
  });
});

describe('Kubernetes manifests', () => {
  const schemaFor = k8sValidators();
  const objects = k8sObjects();

  it('cover the kinds an operator needs', () => {
    const kinds = objects.map((o) => o.doc.kind).sort();
    for (const kind of ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'PodDisruptionBudget', 'ScaledObject', 'Secret', 'Service']) {
      expect(kinds).toContain(kind);
    }
  });

  it.each(objects.map((o) => [`${o.file}: ${o.doc.kind} ${o.doc.metadata?.name}`, o.doc] as const))(
    '%s validates against its kind’s schema',
    (label, doc) => {
      const validate = schemaFor(doc.apiVersion, doc.kind);
      expect(validate, `no schema for ${doc.apiVersion} ${doc.kind}; add it to test/fixtures/k8s-schemas`).toBeDefined();
      expect(validate!(doc), `${label}:\n${errorsText(validate!)}`).toBe(true);
      expect(doc.metadata.namespace, 'manifests are namespace-less').toBeUndefined();
    },
  );

  it('the schemas are strict: a misspelt field or a bad quantity fails', () => {
    const deployment = objects.find((o) => o.doc.kind === 'Deployment')!.doc;
    const validate = schemaFor('apps/v1', 'Deployment')!;
    const typo = structuredClone(deployment);
    typo.spec.template.spec.containers[0].readynessProbe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(validate(typo)).toBe(false);
    const quantity = structuredClone(deployment);
    quantity.spec.template.spec.containers[0].resources.limits.memory = '1 GB';
    expect(validate(quantity)).toBe(false);
    const keda = schemaFor('keda.sh/v1alpha1', 'ScaledObject')!;
    const scaled = structuredClone(objects.find((o) => o.doc.kind === 'ScaledObject')!.doc);
    scaled.spec.triggers[0].metadata.listLength = 4; // KEDA wants strings
    expect(keda(scaled)).toBe(false);
  });

  it('kustomization.yaml lists every manifest but the secret template and the migration Job', () => {
    const kustomization = readYaml('deploy/k8s/kustomization.yaml');
    const files = [...new Set(objects.map((o) => o.file))];
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'secret.yaml' && f !== 'migrate-job.yaml').sort());
  });
});

describe('ECS task definitions', () => {
  it.each(ECS_FILES)('%s has what Fargate and ECS need', (file) => {
    const task = readJson(file);
    expect(task).toMatchObject({ family: expect.any(String), networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'] });
    expect(task.cpu).toMatch(/^\d+$/);
    expect(task.memory).toMatch(/^\d+$/);
    expect(task.executionRoleArn).toMatch(/^arn:aws:iam::/); // pulls the image and reads the secrets
    expect(task.containerDefinitions).toHaveLength(1);
    const [container] = task.containerDefinitions;
    expect(container).toMatchObject({ name: expect.any(String), image: expect.any(String), essential: true });
    expect(container.healthCheck.command[0]).toMatch(/^CMD(-SHELL)?$/);
    expect(container.logConfiguration).toMatchObject({ logDriver: 'awslogs', options: { 'awslogs-group': expect.any(String), 'awslogs-region': expect.any(String), 'awslogs-stream-prefix': expect.any(String) } });
    for (const secret of container.secrets) expect(secret.valueFrom).toMatch(/^arn:aws:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret|parameter)[:/]/);
    const volumes = new Map(task.volumes.map((v: any) => [v.name, v]));
    // Artifacts are in S3 (see deploy-drift); an EFS volume is the documented alternative.
    for (const mount of container.mountPoints) expect(volumes.get(mount.sourceVolume)).toMatchObject({ efsVolumeConfiguration: { fileSystemId: expect.stringMatching(/^fs-/), transitEncryption: 'ENABLED' } });
    expect(container.stopTimeout).toBeLessThanOrEqual(120); // Fargate's maximum
  });
});

describe('App Platform spec', () => {
  const spec = readYaml('deploy/app-platform.yaml');

  it('has the API service, the worker and a PRE_DEPLOY migration job built from files that exist', () => {
    expect(spec.name).toMatch(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/);
    const [api] = spec.services;
    const [worker] = spec.workers;
    const [migrate] = spec.jobs;
    expect(api).toMatchObject({ name: 'api', http_port: expect.any(Number), health_check: { http_path: expect.any(String) } });
    expect(worker).toMatchObject({ name: 'worker', dockerfile_path: 'Dockerfile.worker' });
    expect(migrate).toMatchObject({ kind: 'PRE_DEPLOY', run_command: 'node scripts/db/migrate.mjs' });
    for (const component of [api, worker, migrate]) expect(existsSync(path.join(ROOT, component.dockerfile_path))).toBe(true);
    const envs = (c: any) => Object.fromEntries((c.envs ?? []).map((e: any) => [e.key, e]));
    expect(envs(api).MODE.value).toBe('api');
    expect(envs(worker).MODE.value).toBe('worker');
    expect(envs(api).JWT_SECRET.type).toBe('SECRET');
    const databases = spec.databases.map((d: any) => d.name);
    for (const ref of read('deploy/app-platform.yaml').matchAll(/\$\{(\w+)\.DATABASE_URL\}/g)) expect(databases).toContain(ref[1]);
  });
});

describe('Procfile', () => {
  it('declares web (MODE=api), worker (MODE=worker) and a release step that migrates', () => {
    const lines = Object.fromEntries(read('Procfile').trim().split('\n').map((l) => l.match(/^([a-z]+):\s*(.+)$/)!.slice(1, 3)));
    expect(Object.keys(lines).sort()).toEqual(['release', 'web', 'worker']);
    expect(lines.web).toMatch(/^MODE=api node .*dist\/main\.js$/);
    expect(lines.worker).toMatch(/^MODE=worker node .*dist\/main\.js$/);
    expect(lines.release).toBe('node scripts/db/migrate.mjs');
  });
});

describe('nginx configuration', () => {
  const conf = read('deploy/nginx/ocrflow.conf');

  it('terminates TLS, rate-limits, and forwards the request id and client address', () => {
    expect(conf).toMatch(/listen 443 ssl/);
    expect(conf).toMatch(/ssl_certificate\s+\S+;/);
    expect(conf).toMatch(/limit_req_zone \$binary_remote_addr zone=(\w+):\w+ rate=\d+r\/s;/);
    expect(conf).toMatch(/limit_req zone=\w+/);
    for (const header of ['X-Request-Id', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host']) {
      expect(conf).toMatch(new RegExp(`proxy_set_header ${header} \\$`));
    }
  });

  // nginx is not a dependency of the project; where it is installed, it has the last word.
  const nginx = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']
    .map((dir) => path.join(dir, 'nginx'))
    .find(existsSync);
  it.skipIf(!nginx)('nginx -t accepts it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ocrflow-nginx-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=test', '-days', '1', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`], { stdio: 'ignore' });
      writeFileSync(`${dir}/ocrflow.conf`, conf.replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${dir}/cert.pem;`).replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${dir}/key.pem;`));
      const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
      writeFileSync(`${dir}/nginx.conf`, `pid ${dir}/nginx.pid; error_log stderr; events {} http { access_log ${dir}/access.log; ${temps} include ${dir}/ocrflow.conf; }\n`);
      execFileSync(nginx!, ['-t', '-q', '-p', dir, '-c', `${dir}/nginx.conf`, '-e', 'stderr'], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
