import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactNotFoundError } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';

describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocrflow-store-'));
    store = new LocalArtifactStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('stores, reads, overwrites and deletes objects', async () => {
    await store.put('jobs/a/original', Buffer.from('one'));
    await store.put('jobs/a/original', Buffer.from('two'));
    expect((await store.get('jobs/a/original')).toString()).toBe('two');
    expect(await store.exists('jobs/a/original')).toBe(true);
    // No temporary files are left beside the object.
    expect(await readdir(join(root, 'jobs/a'))).toEqual(['original']);
    await store.delete('jobs/a/original');
    await store.delete('jobs/a/original');
    expect(await store.exists('jobs/a/original')).toBe(false);
    await expect(store.get('jobs/a/original')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it.each(['../escape', '/etc/passwd', 'jobs/../../x', '', 'a\0b'])('refuses the key %j', async (key) => {
    await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(/invalid artifact key/);
  });
});
