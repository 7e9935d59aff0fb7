import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module.js';
import { DevTokensModule } from './auth/dev-tokens.module.js';
import type { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { ArtifactsModule } from './infra/artifacts/artifacts.module.js';
import { PrismaModule } from './infra/prisma/prisma.module.js';
import { RedisModule } from './infra/redis/redis.module.js';
import { QuotaModule } from './quota/quota.module.js';
import { DocumentsHttpModule } from './modules/documents/http/documents-http.module.js';
import { ProcessingModule } from './modules/processing/processing.module.js';
import { RetentionModule } from './modules/retention/retention.module.js';
import { loggerOptions } from './infra/logging/logger-options.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { WebhooksHttpModule } from './modules/webhooks/http/webhooks-http.module.js';
import { WebhooksWorkerModule } from './modules/webhooks/webhooks-worker.module.js';
import { UiModule } from './modules/ui/ui.module.js';

/**
 * The composition root. The mode decides which modules exist at all: a
 * registered BullMQ processor consumes as soon as it is created, and a
 * controller that is not imported cannot be reached.
 */
@Module({})
export class AppModule {
  static forMode(config: Readonly<AppConfig>): DynamicModule {
    const core = [
      ConfigModule.forRoot(config),
      LoggerModule.forRoot(loggerOptions(config)),
      PrismaModule,
      RedisModule,
      QuotaModule,
      ArtifactsModule,
      HealthModule,
      ...(config.metrics ? [MetricsModule] : []),
    ];
    const api =
      config.mode === 'worker'
        ? []
        : [
            AuthModule,
            DocumentsHttpModule,
            WebhooksHttpModule,
            ...(config.ui ? [UiModule] : []),
            ...(config.devTokens ? [DevTokensModule] : []),
          ];
    const worker = config.mode === 'api' ? [] : [ProcessingModule, RetentionModule, ...(config.webhooks ? [WebhooksWorkerModule] : [])];
    return { module: AppModule, imports: [...core, ...api, ...worker] };
  }
}
