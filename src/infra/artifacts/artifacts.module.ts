import { Global, Module } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { ARTIFACT_STORE } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact-store.js';

@Global()
@Module({
  providers: [
    {
      provide: ARTIFACT_STORE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new LocalArtifactStore(config.artifacts.path),
    },
  ],
  exports: [ARTIFACT_STORE],
})
export class ArtifactsModule {}
