import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './harness.js';
import { killProcess } from './process.js';

/**
 * The only key pair s3rver knows: it refuses any other access key id. It does
 * not hold the SDK to its signatures, because it signs a bucket's own requests
 * (HeadBucket, listing) without the trailing slash the SDK now sends.
 */
const CREDENTIALS = { S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' };

/** Runs s3rver: a child process, so a test can kill it (an outage) and start it again on the same port and data. */
const SERVER = `
  const { default: S3rver } = await import('@20minutes/s3rver');
  const [port, directory, bucket] = process.argv.slice(1);
  await new S3rver({ address: '127.0.0.1', port: Number(port), directory, silent: true, allowMismatchedSignatures: true, configureBuckets: [{ name: bucket }] }).run();
`;

/**
 * A private S3-protocol server (s3rver) on a loopback port, with one bucket,
 * storing its objects in a temporary folder; `env` points the service at it.
 */
export class PrivateS3 {
  private child?: ChildProcess;
  private directory?: string;

  constructor(
    readonly port: number,
    readonly bucket = 'ocrflow-test',
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The service's variables for this server. */
  env(prefix = ''): Record<string, string> {
    return {
      ARTIFACT_STORE_TYPE: 's3',
      ARTIFACT_STORE_BUCKET: this.bucket,
      ARTIFACT_STORE_PREFIX: prefix,
      S3_ENDPOINT: this.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      ...CREDENTIALS,
    };
  }

  async start(): Promise<void> {
    this.directory ??= await mkdtemp(join(tmpdir(), 'ocrflow-s3-'));
    this.child = spawn(process.execPath, ['--input-type=module', '-e', SERVER, String(this.port), this.directory, this.bucket], {
      stdio: 'ignore',
    });
    await eventually(() => this.accepts(), 10_000);
  }

  /** Kills the server; its objects stay for the next start. */
  stop(): Promise<void> {
    return killProcess(this.child);
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  private accepts(): Promise<true | undefined> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(undefined));
    });
  }
}
