import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';

/**
 * The one Prisma client of the process. Only repositories inject it
 * (STYLE.md: repositories own Prisma).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  /**
   * The connection pool under Prisma's adapter, for the one statement that
   * runs without Prisma's query layer (the upload path's batch insert, see
   * `JobStateRepository`). Prisma ends it on `$disconnect`.
   */
  readonly pool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // The adapter listens for an idle connection's errors only once Prisma has connected;
    // a connection the pool made before that would otherwise crash the process when it drops.
    pool.on('error', () => undefined);
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    this.pool = pool;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
