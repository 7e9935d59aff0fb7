import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from './harness.js';
import { freePort, killProcess } from './process.js';

const run = promisify(execFile);

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports,
 * each node a throwaway redis-server in one temporary directory, built with
 * `redis-cli --cluster create` as an operator would. Password-protected, as a
 * managed cluster is: a client must authenticate to every node it finds, not
 * only to the one it was given. With `tls`, nodes speak only TLS, with a
 * certificate for 127.0.0.1 from a throwaway CA ({@link caFile}).
 */
export class RedisCluster {
  readonly ports: number[] = [];
  readonly password = randomBytes(8).toString('hex');
  private readonly nodes: ChildProcess[] = [];
  private dir = '';

  constructor(private readonly options: { tls?: boolean } = {}) {}

  /** The CA that signed the nodes' certificate: what a client must trust (`NODE_EXTRA_CA_CERTS`). */
  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }

  /** A node's URL, to give the service as `REDIS_URL`: any one of them will do. */
  url(port: number): string {
    return `${this.options.tls ? 'rediss' : 'redis'}://:${this.password}@127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'ocrflow-cluster-'));
    if (this.options.tls) await this.makeCertificates();
    // Six distinct ports: one for clients and one for the cluster bus per node. The bus
    // port is given because the default, port + 10000, may be taken or above 65535.
    const ports = new Set<number>();
    while (ports.size < 6) ports.add(await freePort());
    const [busPorts, clientPorts] = [[...ports].slice(3), [...ports].slice(0, 3)];
    this.ports.push(...clientPorts);
    for (const [i, port] of this.ports.entries()) {
      const busPort = busPorts[i]!;
      const listen = this.options.tls
        ? ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-auth-clients', 'no',
            '--tls-cert-file', join(this.dir, 'node.crt'), '--tls-key-file', join(this.dir, 'node.key'), '--tls-ca-cert-file', this.caFile]
        : ['--port', String(port)];
      const node = spawn(
        'redis-server',
        [...listen, '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
          '--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--dir', this.dir,
          '--requirepass', this.password, '--masterauth', this.password, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      this.nodes.push(node);
    }
    await Promise.all(this.ports.map((port) => eventually(async () => ((await this.ask(port, 'PING')) === 'PONG' ? true : undefined), 10_000)));
    const tls = this.options.tls ? ['--tls', '--cacert', this.caFile] : [];
    await run('redis-cli', [...tls, '-a', this.password, '--no-auth-warning', '--cluster', 'create',
      ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    // Every node must agree the slots are covered before a client may rely on any of them.
    for (const port of this.ports) {
      await eventually(async () => ((await this.ask(port, 'CLUSTER', 'INFO'))?.includes('cluster_state:ok') ? true : undefined), 30_000);
    }
  }

  /** The port of the master that holds `key`'s slot, and the slot. */
  async owner(key: string): Promise<{ port: number; slot: number }> {
    const slot = Number(await this.ask(this.ports[0]!, 'CLUSTER', 'KEYSLOT', key));
    const ranges = (await this.ask(this.ports[0]!, 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const [, , [, port]] = ranges.find(([from, to]) => from <= slot && slot <= to)!;
    return { port, slot };
  }

  /** Sends one command to one node (not through the cluster): undefined while the node does not answer. */
  async ask(port: number, command: string, ...args: (string | number)[]): Promise<any> {
    const tls = this.options.tls ? { tls: { ca: await readFile(this.caFile) } } : {};
    const node = new Redis(port, '127.0.0.1', { ...tls, password: this.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    node.on('error', () => undefined);
    try {
      await node.connect();
      return await node.call(command, ...args);
    } catch {
      return undefined;
    } finally {
      node.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(killProcess));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** A CA, and one certificate for 127.0.0.1 that every node serves. */
  private async makeCertificates(): Promise<void> {
    const at = (name: string) => join(this.dir, name);
    await writeFile(at('node.ext'), 'subjectAltName=IP:127.0.0.1\n');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=ocrflow test CA',
      '-keyout', at('ca.key'), '-out', this.caFile]);
    await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', at('node.key'), '-out', at('node.csr')]);
    await run('openssl', ['x509', '-req', '-days', '1', '-in', at('node.csr'), '-CA', this.caFile, '-CAkey', at('ca.key'),
      '-CAcreateserial', '-extfile', at('node.ext'), '-out', at('node.crt')]);
  }
}
