import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { S3StoreConfig } from '../../src/config/config.js';
import { ArtifactNotFoundError, type ArtifactStore } from '../../src/infra/artifacts/artifact-store.js';
import { LocalArtifactStore } from '../../src/infra/artifacts/local-artifact-store.js';
import { S3ArtifactStore } from '../../src/infra/artifacts/s3-artifact-store.js';
import { freePort } from '../support/process.js';
import { PrivateS3 } from '../support/s3-server.js';

/** The store's configuration as the service reads it from the environment. */
function s3Config(s3: PrivateS3, overrides: Record<string, string> = {}): S3StoreConfig {
  const config = loadConfig({ DATABASE_URL: 'postgresql://unused@127.0.0.1/unused', JWT_SECRET: 'x'.repeat(32), ...s3.env('tenants/'), ...overrides });
  return config.artifacts as S3StoreConfig;
}

interface Subject {
  store: ArtifactStore;
  /** Every object's key as the backing storage names it. */
  keys: () => Promise<string[]>;
  close: () => Promise<void>;
}

async function localSubject(): Promise<Subject> {
  const root = await mkdtemp(join(tmpdir(), 'ocrflow-contract-'));
  const store = new LocalArtifactStore(root);
  const keys = async () => {
    const entries = await readdir(root, { recursive: true });
    const files = await Promise.all(entries.map(async (e) => ((await stat(join(root, e))).isFile() ? e : undefined)));
    return files.filter((e): e is string => e !== undefined).sort();
  };
  return { store, keys, close: () => rm(root, { recursive: true, force: true }) };
}

async function s3Subject(): Promise<Subject> {
  const s3 = new PrivateS3(await freePort());
  await s3.start();
  const store = new S3ArtifactStore(s3Config(s3));
  // A second client, without the prefix, sees every key in the bucket.
  const lister = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const keys = async () => {
    const listed = await lister.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  };
  return {
    store,
    keys: async () => (await keys()).map((key) => key.replace(/^tenants\//, '')),
    close: async () => {
      store.close?.();
      lister.destroy();
      await s3.destroy();
    },
  };
}

describe.each([
  ['local directory', localSubject],
  ['S3 bucket (s3rver)', s3Subject],
])('ArtifactStore contract: %s', (_name, open) => {
  let subject: Subject;
  let store: ArtifactStore;

  beforeAll(async () => {
    subject = await open();
    store = subject.store;
  });
  afterAll(() => subject?.close());

  it('answers its check', async () => {
    await expect(store.check()).resolves.toBeUndefined();
  });

  it('stores, reads, overwrites and deletes an object', async () => {
    await store.put('jobs/a/original', Buffer.from('one'));
    await store.put('jobs/a/original', Buffer.from('two'));
    expect((await store.get('jobs/a/original')).toString()).toBe('two');
    expect(await subject.keys()).toContain('jobs/a/original');
    await store.delete('jobs/a/original');
    expect(await subject.keys()).not.toContain('jobs/a/original');
    await expect(store.get('jobs/a/original')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('deletes an absent key without complaint', async () => {
    await expect(store.delete('never/stored')).resolves.toBeUndefined();
  });

  it('rejects a missing key with ArtifactNotFoundError naming the key', async () => {
    await expect(store.get('missing/key')).rejects.toMatchObject({ name: 'ArtifactNotFoundError', key: 'missing/key' });
  });

  it('stores exactly the bytes of a view into a larger buffer', async () => {
    const whole = Buffer.from('header|the document|trailer');
    await store.put('originals/view', whole.subarray(7, 19));
    expect((await store.get('originals/view')).toString()).toBe('the document');
    expect(whole.toString()).toBe('header|the document|trailer');
    await store.delete('originals/view');
  });

  it('keeps binary content byte for byte, at several megabytes', async () => {
    const data = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    await store.put('originals/large', data);
    expect((await store.get('originals/large')).equals(data)).toBe(true);
    await store.delete('originals/large');
  });

  it('keeps the objects of different keys apart', async () => {
    await Promise.all(['a', 'b', 'c'].map((name) => store.put(`pages/${name}`, Buffer.from(name))));
    expect(await Promise.all(['a', 'b', 'c'].map(async (name) => (await store.get(`pages/${name}`)).toString()))).toEqual(['a', 'b', 'c']);
    await Promise.all(['a', 'b', 'c'].map((name) => store.delete(`pages/${name}`)));
  });

  it.each(['../escape', '/etc/passwd', 'jobs/../../x', '', 'a\0b', 'a//b'])('refuses the key %j', async (key) => {
    await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(/invalid artifact key/);
    await expect(store.get(key)).rejects.toThrow(/invalid artifact key/);
  });

  it('leaves nothing behind once every object is deleted', async () => {
    await store.put('jobs/z/original', Buffer.from('z'));
    await store.delete('jobs/z/original');
    expect(await subject.keys()).toEqual([]);
  });
});

describe('S3ArtifactStore', () => {
  let s3: PrivateS3;

  beforeAll(async () => {
    s3 = new PrivateS3(await freePort());
    await s3.start();
  });
  afterAll(() => s3?.destroy());

  it('writes under its prefix only', async () => {
    const store = new S3ArtifactStore(s3Config(s3, { ARTIFACT_STORE_PREFIX: 'team-a/ocr/' }));
    await store.put('jobs/1/original', Buffer.from('x'));
    const bare = new S3ArtifactStore(s3Config(s3, { ARTIFACT_STORE_PREFIX: '' }));
    expect((await bare.get('team-a/ocr/jobs/1/original')).toString()).toBe('x');
    await expect(bare.get('jobs/1/original')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await store.delete('jobs/1/original');
    store.close?.();
    bare.close?.();
  });

  it('fails its check on a bucket that does not exist, and names the bucket but no credential', async () => {
    const store = new S3ArtifactStore(s3Config(s3, { ARTIFACT_STORE_BUCKET: 'no-such-bucket' }));
    await expect(store.check()).rejects.toThrow('the bucket does not exist');
    expect(store.location).toBe(`bucket "no-such-bucket" at ${s3.endpoint}`);
    expect(store.location).not.toContain('S3RVER');
    store.close?.();
  });

  it('fails its check with credentials the server does not know', async () => {
    const store = new S3ArtifactStore(s3Config(s3, { S3_ACCESS_KEY_ID: 'NOT-A-KEY', S3_SECRET_ACCESS_KEY: 'not-the-secret' }));
    await expect(store.check()).rejects.toThrow(/^access denied/);
    store.close?.();
  });

  it('fails a put while the server is down, and stores the next one once it is back', async () => {
    const store = new S3ArtifactStore(s3Config(s3, { S3_REQUEST_TIMEOUT_MS: '2000' }));
    await s3.stop();
    await expect(store.put('jobs/down/original', Buffer.from('x'))).rejects.toThrow();
    await s3.start();
    await store.put('jobs/up/original', Buffer.from('y'));
    expect((await store.get('jobs/up/original')).toString()).toBe('y');
    await expect(store.get('jobs/down/original')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    store.close?.();
  });
});
