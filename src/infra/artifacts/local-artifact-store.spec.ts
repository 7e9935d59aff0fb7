import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactNotFoundError } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';

/** What only a directory does; the contract both stores keep is in test/integration/artifact-store.int-spec.ts. */
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
    // No temporary files are left beside the object.
    expect(await readdir(join(root, 'jobs/a'))).toEqual(['original']);
    await store.delete('jobs/a/original');
    await store.delete('jobs/a/original');
    expect(await readdir(root)).toEqual([]);
    await expect(store.get('jobs/a/original')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('removes the folders a deleted object leaves empty, and only those', async () => {
    await store.put('jobs/a/original', Buffer.from('a'));
    await store.put('jobs/b/original', Buffer.from('b'));
    await store.delete('jobs/a/original');
    expect(await readdir(root, { recursive: true })).toEqual(['jobs', 'jobs/b', 'jobs/b/original']);
    await store.delete('jobs/b/original');
    expect(await readdir(root)).toEqual([]);
    // The root itself stays: the next upload writes into it.
    await store.put('jobs/c/original', Buffer.from('c'));
    expect((await store.get('jobs/c/original')).toString()).toBe('c');
  });

  it('shares a folder between keys, and makes it again when a delete emptied it', async () => {
    await store.put('originals/ab/one', Buffer.from('1'));
    await store.put('originals/ab/two', Buffer.from('2'));
    expect((await readdir(join(root, 'originals/ab'))).sort()).toEqual(['one', 'two']);
    await store.delete('originals/ab/one');
    await store.delete('originals/ab/two');
    expect(await readdir(root)).toEqual([]);
    await store.put('originals/ab/three', Buffer.from('3'));
    expect((await store.get('originals/ab/three')).toString()).toBe('3');
  });

  it('fails a put the file system refuses with its code, and leaves no temporary file', async () => {
    await store.put('d/x', Buffer.from('x'));
    await expect(store.put('d', Buffer.from('over a folder'))).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(store.put('d/x/y', Buffer.from('under a file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await readdir(root, { recursive: true })).toEqual(['d', 'd/x']);
    // The writer keeps working after a refusal.
    await store.put('d/z', Buffer.from('z'));
    expect((await store.get('d/z')).toString()).toBe('z');
  });

  it('stores the puts of one turn together, and fails only the one the file system refuses', async () => {
    await store.put('d/x', Buffer.from('x'));
    const outcomes = await Promise.allSettled([
      store.put('d/a', Buffer.from('a')),
      store.put('d/x/under-a-file', Buffer.from('refused')),
      store.put('e/b', Buffer.from('b')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ENOTDIR' });
    expect([(await store.get('d/a')).toString(), (await store.get('e/b')).toString()]).toEqual(['a', 'b']);
  });
});
