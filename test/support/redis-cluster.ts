import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { eventually } from './harness.js';
import { freePort } from './process.js';

const run = promisify(execFile);

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports,
 * each node a throwaway redis-server in its own temporary directory, built
 * with `redis-cli --cluster create` as an operator would. Password-protected,
 * as a managed cluster is: a client must authenticate to every node it finds,
 * not only to the one it was given.
 */
export class RedisCluster {
  readonly ports: number[] = [];
  readonly password = randomBytes(8).toString('hex');
  private readonly nodes: ChildProcess[] = [];
  private dir?: string;

  /** A node's URL, to give the service as `REDIS_URL`: any one of them will do. */
  url(port: number): string {
    return `redis://:${this.password}@127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'ocrflow-cluster-'));
    for (let i = 0; i < 3; i++) this.ports.push(await freePort());
    for (const port of this.ports) {
      const node = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
          '--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--dir', this.dir,
          '--requirepass', this.password, '--masterauth', this.password, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      this.nodes.push(node);
    }
    await Promise.all(this.ports.map((port) => eventually(async () => ((await this.ask(port, 'PING')) === 'PONG' ? true : undefined), 10_000)));
    await run('redis-cli', ['-a', this.password, '--no-auth-warning', '--cluster', 'create',
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
    const node = new Redis(port, '127.0.0.1', { password: this.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
    await Promise.all(
      this.nodes.map((node) =>
        node.exitCode !== null || node.signalCode !== null
          ? undefined
          : new Promise((resolve) => {
              node.once('exit', resolve);
              node.kill('SIGKILL');
            }),
      ),
    );
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
