import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { ArtifactNotFoundError, type ArtifactStore } from './artifact-store.js';

/** Stores artifacts as files under one root directory. */
export class LocalArtifactStore implements ArtifactStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    // Write beside the target, then rename: a crash never leaves half a file under the key.
    const temp = `${target}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, data, { flag: 'wx' });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(key);
      throw error;
    }
  }

  /**
   * Removes the file and then the folders it leaves empty, up to the root:
   * keys are names, not folders, so a deleted object (a refused upload's
   * `jobs/<id>/original`) leaves nothing behind. A folder holds one job's
   * objects, which are never written while they are being deleted, so no
   * `put` loses its folder between `mkdir` and the write.
   */
  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    for (let dir = dirname(path); dir !== this.root; dir = dirname(dir)) {
      // Not empty (another object lives there) or already gone: stop climbing.
      const removed = await rmdir(dir).then(() => true, () => false);
      if (!removed) break;
    }
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  /** Maps a key to a path, refusing anything that would escape the root. */
  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!key || key.includes('\0') || !path.startsWith(this.root + sep)) {
      throw new Error(`invalid artifact key: ${JSON.stringify(key)}`);
    }
    return path;
  }
}
