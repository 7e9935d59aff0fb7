import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ArtifactNotFoundError, checkFolder, checkKey, type ArtifactStore } from './artifact-store.js';
import { FileWriter } from './file-writer.js';

/** Stores artifacts as files under one root directory. */
export class LocalArtifactStore implements ArtifactStore {
  private readonly root: string;
  private readonly writer = new FileWriter();

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
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
    await this.prune(dirname(path));
  }

  /** The folder with everything in it, then the folders it leaves empty. */
  async deleteFolder(folder: string): Promise<void> {
    const path = join(this.root, checkFolder(folder));
    await rm(path, { recursive: true, force: true });
    await this.prune(dirname(path));
  }

  private async prune(from: string): Promise<void> {
    for (let dir = from; dir !== this.root; dir = dirname(dir)) {
      // Not empty (another object lives there) or already gone: stop climbing.
      const removed = await rmdir(dir).then(() => true, () => false);
      if (!removed) break;
    }
  }

  /** The root exists (made when missing) and this process may read and write in it. */
  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
  }

  /** Maps a key to a path under the root; `checkKey` refuses anything that would escape it. */
  private pathOf(key: string): string {
    return join(this.root, checkKey(key));
  }
}
