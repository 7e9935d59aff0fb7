import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3StoreConfig } from '../../config/config.js';
import { ArtifactNotFoundError, checkFolder, checkKey, type ArtifactStore } from './artifact-store.js';

/** AWS S3 wants a region even where none applies; other S3 servers accept any. */
const ENDPOINT_REGION = 'us-east-1';
/** How long to wait for a connection before an attempt fails (the SDK retries it). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Stores artifacts as objects in an S3-compatible bucket (AWS S3, MinIO,
 * Cloudflare R2, DigitalOcean Spaces), so API and worker containers share
 * nothing but the network. A PUT is atomic in S3: an object is there whole or
 * not at all. The upload's buffer is the request body as it is, not copied.
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;
  readonly location: string;

  constructor(private readonly config: S3StoreConfig) {
    this.client = new S3Client({
      region: config.region ?? (config.endpoint ? ENDPOINT_REGION : undefined),
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      // Absent: the SDK's default chain (environment, web identity, ECS task role, instance profile).
      // A copy: the SDK marks the object it is given, and the configuration is frozen.
      credentials: config.credentials && { ...config.credentials },
      // Checksums only where S3 requires them: the SDK's newer default (a CRC32
      // on every request) is refused by several S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: CONNECT_TIMEOUT_MS,
        requestTimeout: config.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    });
    // The endpoint's origin only: a URL may carry user information.
    const endpoint = config.endpoint ? new URL(config.endpoint).origin : 'AWS S3';
    this.location = `bucket "${config.bucket}" at ${endpoint}`;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const sse = this.config.serverSideEncryption;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key: this.keyOf(key),
        Body: data,
        ContentLength: data.length,
        ServerSideEncryption: sse?.algorithm,
        SSEKMSKeyId: sse?.kmsKeyId,
      }),
    );
  }

  async get(key: string): Promise<Buffer> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }));
      const bytes = await Body!.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (error instanceof NoSuchKey) throw new ArtifactNotFoundError(key);
      throw error;
    }
  }

  /** S3 answers 204 for an absent key too. */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }));
  }

  /**
   * Lists the folder's objects and deletes them one by one: a job has a
   * handful, and DeleteObjects needs a checksum header that several
   * S3-compatible servers refuse (see `requestChecksumCalculation`).
   */
  async deleteFolder(folder: string): Promise<void> {
    const Prefix = this.config.prefix + checkFolder(folder);
    let ContinuationToken: string | undefined;
    do {
      const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix, ContinuationToken }));
      await Promise.all((listed.Contents ?? []).map(({ Key }) => this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key }))));
      ContinuationToken = listed.IsTruncated ? listed.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** The bucket exists and these credentials may list it: HEAD, the cheapest request there is. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (error) {
      throw new Error(headBucketProblem(error), { cause: error });
    }
  }

  close(): void {
    this.client.destroy();
  }

  private keyOf(key: string): string {
    return this.config.prefix + checkKey(key);
  }
}

/** A HEAD answers with a status and no body, so the SDK's own message is "UnknownError". */
function headBucketProblem(error: unknown): string {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 404) return 'the bucket does not exist';
  if (status === 403) return 'access denied: the credentials are unknown, or lack s3:ListBucket on the bucket';
  if (status === 301) return 'the bucket is in another region than S3_REGION';
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return status === undefined ? reason : `HTTP ${status} (${reason})`;
}
