import { describe, expect, it } from 'vitest';
import { schemaDrift } from '../../scripts/db/drift-check.mjs';
import { migrate } from '../../scripts/db/migrate.mjs';
import { createTestEnv, SERVER_URL } from '../support/harness.js';

describe('prisma/migrations', () => {
  it('match schema.prisma: a schema change without a migration fails here', async () => {
    expect(await schemaDrift({ databaseUrl: `${SERVER_URL}/postgres` })).toBe('');
  });

  it('apply once; migrating again is a no-op', async () => {
    const env = await createTestEnv('int_migrations');
    try {
      expect(await migrate(env.databaseUrl)).toEqual([]);
      const tables = await env.sql<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      );
      expect(tables.map((t) => t.tablename)).toEqual(['_prisma_migrations', 'job_results', 'jobs']);
    } finally {
      await env.cleanup();
    }
  });
});
