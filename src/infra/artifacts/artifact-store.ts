/**
 * Where documents and generated files live: a local directory
 * ({@link LocalArtifactStore}) or an S3-compatible bucket ({@link S3ArtifactStore}),
 * behind one contract that `artifact-store.int-spec.ts` checks against both.
 * Keys are relative, slash-separated paths the service builds itself.
 */
export interface ArtifactStore {
  /** Writes the whole object atomically: readers never see a partial one. */
  put(key: string, data: Buffer): Promise<void>;
  /** Reads an object; rejects with {@link ArtifactNotFoundError} when absent. */
  get(key: string): Promise<Buffer>;
  /** Removes an object, leaving no trace of it; removing an absent one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes every object under `folder` (a key prefix ending in `/`, e.g. one
   * job's files), leaving no trace of them; an empty or absent folder is not an error.
   */
  deleteFolder(folder: string): Promise<void>;
  /** Resolves when the store can be read and written; rejects with the reason otherwise. */
  check(): Promise<void>;
  /** Where the objects are, for messages: never a credential. */
  readonly location: string;
  /** Releases the store's connections, if it holds any. */
  close?(): void;
}

/** Like {@link checkKey}, for a folder: segments and a final `/`. */
export function checkFolder(folder: string): string {
  if (!folder.endsWith('/')) throw new Error(`invalid artifact folder: ${JSON.stringify(folder)}`);
  checkKey(folder.slice(0, -1));
  return folder;
}

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`artifact not found: ${key}`);
    this.name = 'ArtifactNotFoundError';
  }
}

/**
 * Refuses a key that is empty, absolute, holds a NUL or an empty, `.` or `..`
 * segment: keys are built by the service, so such a key is a bug, and in a
 * directory it would escape the root.
 */
export function checkKey(key: string): string {
  const segments = key.split('/');
  if (key.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`invalid artifact key: ${JSON.stringify(key)}`);
  }
  return key;
}
