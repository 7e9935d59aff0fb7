import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { ArtifactNotFoundError, type ArtifactStore } from './artifact-store.js';

/** A put tries this many times to create its folder while deletes empty it (see `delete`). */
const MKDIR_ATTEMPTS = 3;

/** Stores artifacts as files under one root directory. */
export class LocalArtifactStore implements ArtifactStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    // Write beside the target, then rename: a crash never leaves half a file under the key.
    const temp = `${target}.${randomUUID()}.tmp`;
    try {
      await this.create(temp, data);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /**
   * Writes a new file, making its folder only when it is missing: keys share
   * folders, so it is usually there, and a mkdir per put was a second inode
   * per upload (bench/upload). A `delete` may remove the folder again between
   * the mkdir and the write, hence the attempts.
   */
  private async create(path: string, data: Buffer): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await writeFile(path, data, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === MKDIR_ATTEMPTS) throw error;
        await mkdir(dirname(path), { recursive: true });
      }
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
