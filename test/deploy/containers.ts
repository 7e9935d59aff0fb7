// Every place a deployment file runs ocrflow, reduced to what the drift checks
// compare: the environment it gives the process, which of it comes from a secret
// store, its health checks, its artifact volume and its stop grace period.
import { COMPOSE_FILES, ECS_FILES, byKind, read, readJson, readYaml } from './support.js';

export type Role = 'api' | 'worker' | 'migrate';

export interface HealthCheck {
  kind: 'liveness' | 'readiness' | 'startup' | 'container';
  /** The URL path probed. */
  path: string;
  /** The port probed, when the file states a number. */
  port?: number;
  /** The variable a command reads the port from, and its fallback: `process.env.PORT||3000`. */
  portVar?: { name: string; fallback: number };
}

export interface AppContainer {
  where: string;
  role: Role;
  /** Values the file sets, compose interpolation resolved to its default or a sample. */
  env: Record<string, string>;
  /** Variables set from a secret store (their value is not in the file). */
  fromSecrets: string[];
  /** Literal placeholder values of secrets in the file (Kubernetes Secret template, App Platform). */
  placeholders: Record<string, string>;
  /** The operator adds settings from a file this repo does not hold (compose env_file). */
  envFile: boolean;
  containerPorts: number[];
  health: HealthCheck[];
  /** Where the artifact volume is mounted, and an id of the volume shared by api and worker. */
  artifacts?: { path: string; volume: string };
  stopGraceSeconds?: number;
  resources?: { cpus: string | number; memory: string };
  image?: string;
  command?: string[];
}

// `${NAME:-default}` → default; `${NAME:?message}` and `${NAME}` → a sample.
const interpolate = (value: string) => value.replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_, name, d) => d ?? `sample-${name.toLowerCase()}`);

function commandHealth(command: string[] | string): HealthCheck {
  const text = Array.isArray(command) ? command.join(' ') : command;
  const path = text.match(/'(\/health[^']*)'/)![1];
  const variable = text.match(/process\.env\.(\w+)\|\|(\d+)/);
  return { kind: 'container', path, portVar: variable ? { name: variable[1], fallback: Number(variable[2]) } : undefined };
}

const seconds = (duration: string) => Number(duration.match(/^(\d+)s$/)![1]);

function fromCompose(file: string): AppContainer[] {
  const compose = readYaml(file);
  return Object.entries<any>(compose.services)
    .filter(([, s]) => String(s.image).includes('ocrflow'))
    .map(([name, s]) => {
      const command: string[] | undefined = s.command;
      const env = Object.fromEntries(Object.entries<any>(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
      const mount = (s.volumes ?? []).map((v: string) => interpolate(v).split(':')).find((v: string[]) => v[1] === '/app/data/artifacts');
      return {
        where: `${file} service ${name}`,
        role: command?.join(' ').includes('migrate') ? 'migrate' : (env.MODE as Role),
        env,
        fromSecrets: [],
        placeholders: {},
        envFile: Boolean(s.env_file),
        containerPorts: (s.ports ?? []).map((p: string) => Number(p.split(':').at(-1))),
        health: s.healthcheck ? [commandHealth(s.healthcheck.test)] : [],
        artifacts: mount && { path: mount[1], volume: `${file}:${mount[0]}` },
        stopGraceSeconds: s.stop_grace_period && seconds(s.stop_grace_period),
        resources: s.deploy?.resources?.limits && { cpus: s.deploy.resources.limits.cpus, memory: s.deploy.resources.limits.memory },
        image: s.image,
        command,
      } satisfies AppContainer;
    });
}

function fromKubernetes(): AppContainer[] {
  const configMaps = new Map(byKind('ConfigMap').map((c) => [c.metadata.name, c.data]));
  const secrets = new Map(byKind('Secret').map((s) => [s.metadata.name, s.stringData]));
  const workloads = [...byKind('Deployment'), ...byKind('Job')];
  return workloads.map((w) => {
    const pod = w.spec.template.spec;
    const c = pod.containers[0];
    const env: Record<string, string> = {};
    const fromSecrets: string[] = [];
    const placeholders: Record<string, string> = {};
    for (const source of c.envFrom ?? []) {
      if (source.configMapRef) Object.assign(env, configMaps.get(source.configMapRef.name));
      if (source.secretRef) {
        const data = secrets.get(source.secretRef.name) ?? {};
        fromSecrets.push(...Object.keys(data));
        Object.assign(placeholders, data);
      }
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        fromSecrets.push(e.name);
        placeholders[e.name] = secrets.get(e.valueFrom.secretKeyRef.name)?.[e.valueFrom.secretKeyRef.key];
      }
    }
    const ports = new Map<string, number>((c.ports ?? []).map((p: any) => [p.name, p.containerPort]));
    const probe = (kind: HealthCheck['kind'], p: any): HealthCheck[] =>
      p ? [{ kind, path: p.httpGet.path, port: typeof p.httpGet.port === 'number' ? p.httpGet.port : ports.get(p.httpGet.port) }] : [];
    const mount = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/app/data/artifacts');
    const claim = mount && pod.volumes.find((v: any) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
    const preStop = c.lifecycle?.preStop?.exec?.command;
    return {
      where: `deploy/k8s ${w.kind} ${w.metadata.name}`,
      role: w.kind === 'Job' ? 'migrate' : (env.MODE as Role),
      env,
      fromSecrets,
      placeholders,
      envFile: false,
      containerPorts: [...ports.values()],
      health: [...probe('startup', c.startupProbe), ...probe('liveness', c.livenessProbe), ...probe('readiness', c.readinessProbe)],
      artifacts: mount && { path: mount.mountPath, volume: `pvc:${claim}` },
      // The preStop pause is spent before SIGTERM, so it does not count.
      stopGraceSeconds: pod.terminationGracePeriodSeconds - (preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0),
      resources: c.resources?.requests && { cpus: c.resources.requests.cpu, memory: c.resources.requests.memory },
      image: c.image,
      command: c.command,
    } satisfies AppContainer;
  });
}

function fromEcs(file: string): AppContainer {
  const task = readJson(file);
  const c = task.containerDefinitions[0];
  const env = Object.fromEntries(c.environment.map((e: any) => [e.name, e.value]));
  const mount = c.mountPoints.find((m: any) => m.containerPath === '/app/data/artifacts');
  const volume = mount && task.volumes.find((v: any) => v.name === mount.sourceVolume);
  return {
    where: file,
    role: env.MODE,
    env,
    fromSecrets: c.secrets.map((s: any) => s.name),
    placeholders: {},
    envFile: false,
    containerPorts: c.portMappings.map((p: any) => p.containerPort),
    health: [commandHealth(c.healthCheck.command)],
    artifacts: mount && { path: mount.containerPath, volume: `efs:${volume.efsVolumeConfiguration.fileSystemId}` },
    stopGraceSeconds: c.stopTimeout,
    // Fargate: the task's size, in CPU units and MiB.
    resources: { cpus: Number(task.cpu) / 1024, memory: `${task.memory}M` },
    image: c.image,
  };
}

function fromAppPlatform(): AppContainer[] {
  const spec = readYaml('deploy/app-platform.yaml');
  const components = [
    ...spec.services.map((c: any) => ({ ...c, section: 'services' })),
    ...spec.workers.map((c: any) => ({ ...c, section: 'workers' })),
    ...spec.jobs.map((c: any) => ({ ...c, section: 'jobs' })),
  ];
  return components.map((c: any) => {
    const env: Record<string, string> = {};
    const fromSecrets: string[] = [];
    const placeholders: Record<string, string> = {};
    for (const e of [...(spec.envs ?? []), ...(c.envs ?? [])]) {
      // `${db.DATABASE_URL}`: a value App Platform binds from a managed database.
      if (/^\$\{[\w.]+\}$/.test(e.value)) fromSecrets.push(e.key);
      else if (e.type === 'SECRET') {
        fromSecrets.push(e.key);
        placeholders[e.key] = e.value;
      } else env[e.key] = String(e.value);
    }
    const role: Role = c.section === 'jobs' ? 'migrate' : (env.MODE as Role);
    // App Platform sets PORT to the service's http_port.
    if (c.http_port) env.PORT = String(c.http_port);
    return {
      where: `deploy/app-platform.yaml ${c.section} ${c.name}`,
      role,
      env,
      fromSecrets,
      placeholders,
      envFile: false,
      containerPorts: c.http_port ? [c.http_port] : [],
      health: c.health_check ? [{ kind: 'readiness', path: c.health_check.http_path, port: c.health_check.port ?? c.http_port }] : [],
      stopGraceSeconds: c.termination?.grace_period_seconds,
      command: c.run_command?.split(' '),
      image: c.dockerfile_path,
    } satisfies AppContainer;
  });
}

function fromProcfile(): AppContainer[] {
  return read('Procfile')
    .trim()
    .split('\n')
    .map((line) => {
      const [, type, command] = line.match(/^(\w+):\s*(.+)$/)!;
      const env = Object.fromEntries([...command.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=(\S*)/g)].map((m) => [m[1], m[2]]));
      return {
        where: `Procfile ${type}`,
        role: type === 'release' ? 'migrate' : (env.MODE as Role),
        env,
        fromSecrets: [],
        placeholders: {},
        envFile: true, // the platform's config vars
        containerPorts: [],
        health: [],
        command: command.split(' ').filter((w) => !w.includes('=')),
      } satisfies AppContainer;
    });
}

/** Every ocrflow process the deployment files start. */
export function appContainers(): AppContainer[] {
  return [...COMPOSE_FILES.flatMap(fromCompose), ...fromKubernetes(), ...ECS_FILES.map(fromEcs), ...fromAppPlatform(), ...fromProcfile()];
}
