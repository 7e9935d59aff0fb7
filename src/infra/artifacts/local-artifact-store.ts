import { randomUUID } from 'node:crypto';
import { readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { ArtifactNotFoundError, type ArtifactStore } from './artifact-store.js';
import { FileWriter } from './file-writer.js';

/** Stores artifacts as files under one root directory. */
export class LocalArtifactStore implements ArtifactStore {
  private readonly root: string;
  private readonly writer = new FileWriter();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * Written beside the target, then renamed: a crash never leaves half a file
   * under the key. Keys share folders, so the folder is made only when missing
   * (a mkdir per upload was a second inode).
   */
  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await this.writer.write(`${target}.${randomUUID()}.tmp`, target, data);
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
   * original) leaves nothing behind. A `put` racing with it into the same
   * folder makes the folder again.
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
