// The thread of a FileWriter: writes each file beside its target, then renames
// it into place, with blocking calls that hold up nothing but this thread.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { WriteReply, WriteRequest } from './file-writer.js';

/** Tries to make the folder this many times while deletes empty it (see LocalArtifactStore.delete). */
const MKDIR_ATTEMPTS = 3;

parentPort!.on('message', (batch: WriteRequest[]) => {
  parentPort!.postMessage(batch.map(write) satisfies WriteReply[]);
});

function write({ id, temp, target, data }: WriteRequest): WriteReply {
  try {
    create(temp, data);
    renameSync(temp, target);
    return { id };
  } catch (error) {
    removeQuietly(temp);
    const { code, message } = error as NodeJS.ErrnoException;
    return { id, error: { code, message } };
  }
}

/** A new file, and its folder when missing: keys share folders, so it is usually there. */
function create(path: string, data: Uint8Array): void {
  for (let attempt = 1; ; attempt++) {
    try {
      return writeFileSync(path, data, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === MKDIR_ATTEMPTS) throw error;
      mkdirSync(dirname(path), { recursive: true });
    }
  }
}

/**
 * The temporary file of a failed write, when there is one. `force` ignores only
 * ENOENT: under a path that is not a folder rmSync throws ENOTDIR, which used to
 * escape and end the thread, failing every write in flight with it.
 */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing was created there.
  }
}
