/**
 * Where documents and generated files live. The local directory store is the
 * first implementation; an S3-compatible store will implement the same contract.
 * Keys are relative, slash-separated paths the service builds itself.
 */
export interface ArtifactStore {
  /** Writes the whole object atomically: readers never see a partial file. */
  put(key: string, data: Buffer): Promise<void>;
  /** Reads an object; rejects with {@link ArtifactNotFoundError} when absent. */
  get(key: string): Promise<Buffer>;
  /** Removes an object, leaving no trace of it; removing an absent one is not an error. */
  delete(key: string): Promise<void>;
  /** True when the object exists. */
  exists(key: string): Promise<boolean>;
}

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`artifact not found: ${key}`);
    this.name = 'ArtifactNotFoundError';
  }
}
