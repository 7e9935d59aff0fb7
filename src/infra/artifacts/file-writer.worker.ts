// The thread of a FileWriter: writes each file beside its target, then renames
// it into place, with blocking calls that hold up nothing but this thread.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { WriteReply, WriteRequest } from './file-writer.js';

/** Tries to make the folder this many times while deletes empty it (see LocalArtifactStore.delete). */
const MKDIR_ATTEMPTS = 3;

parentPort!.on('message', ({ id, temp, target, data }: WriteRequest) => {
  try {
    create(temp, data);
    renameSync(temp, target);
    parentPort!.postMessage({ id } satisfies WriteReply);
  } catch (error) {
    rmSync(temp, { force: true });
    const { code, message } = error as NodeJS.ErrnoException;
    parentPort!.postMessage({ id, error: { code, message } } satisfies WriteReply);
  }
});

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
