import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE, type ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import { S3ArtifactStore } from './s3-artifact-store.js';

/**
 * The store the configuration names, checked before the process serves or
 * works: a bucket that is missing or unreachable stops the start with a
 * message naming bucket and endpoint (never a credential), instead of
 * failing every upload later.
 */
async function openStore(config: AppConfig): Promise<ArtifactStore> {
  const store: ArtifactStore =
    config.artifacts.type === 's3' ? new S3ArtifactStore(config.artifacts) : new LocalArtifactStore(config.artifacts.path);
  try {
    await store.check();
  } catch (error) {
    store.close?.();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`artifact store ${store.location} cannot be used: ${reason}`, { cause: error });
  }
  return store;
}

@Global()
@Module({
  providers: [{ provide: ARTIFACT_STORE, inject: [APP_CONFIG], useFactory: openStore }],
  exports: [ARTIFACT_STORE],
})
export class ArtifactsModule implements OnApplicationShutdown {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  onApplicationShutdown(): void {
    this.store.close?.();
  }
}
