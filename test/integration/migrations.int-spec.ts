import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { schemaDrift } from '../../scripts/db/drift-check.mjs';
import { migrate } from '../../scripts/db/migrate.mjs';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
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
      expect(tables.map((t) => t.tablename)).toEqual([
        '_prisma_migrations',
        'idempotency_keys',
        'job_events',
        'job_pages',
        'job_results',
        'jobs',
        'owner_unfinished_jobs',
        'webhook_attempts',
        'webhook_deliveries',
      ]);
    } finally {
      await env.cleanup();
    }
  });

  it('keep the page of a result written before job_pages existed', async () => {
    const env = await createTestEnv('int_migrations_pages');
    const initOnly = await mkdtemp(join(tmpdir(), 'ocrflow-migrations-'));
    try {
      // A fresh database at the first release's schema, holding one finished job.
      await env.sql('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      await cp(join(MIGRATIONS_DIR, '20261122000000_init'), join(initOnly, '20261122000000_init'), { recursive: true });
      await migrate(env.databaseUrl, { log: () => undefined, migrationsDir: initOnly });
      const id = '6f1c1a52-9f4e-4e55-9d0e-3c3f4b2a1d00';
      const page = { number: 1, width: 10, height: 20, text: 'hello', confidence: 90, lines: [] };
      await env.sql(
        `INSERT INTO jobs (id, owner_id, status, media_type, size_bytes, original_key, updated_at)
         VALUES ($1, 'alice', 'SUCCEEDED', 'image/png', 1, 'k', now())`,
        [id],
      );
      await env.sql('INSERT INTO job_results (job_id, text, pages) VALUES ($1, $2, $3)', [id, 'hello', JSON.stringify([page])]);

      await migrate(env.databaseUrl, { log: () => undefined });

      const pages = await env.sql('SELECT number, status, source, result FROM job_pages WHERE job_id = $1', [id]);
      expect(pages).toEqual([{ number: 1, status: 'SUCCEEDED', source: 'ocr', result: page }]);
      const [job] = await env.sql('SELECT pages_total, pages_done FROM jobs WHERE id = $1', [id]);
      expect(job).toEqual({ pages_total: 1, pages_done: 1 });
    } finally {
      await rm(initOnly, { recursive: true, force: true });
      await env.cleanup();
    }
  });

  it("count the unfinished jobs of owners that had some before the count was kept", async () => {
    const env = await createTestEnv('int_migrations_unfinished');
    const before = await mkdtemp(join(tmpdir(), 'ocrflow-migrations-'));
    try {
      // A database at the migration before the count, holding jobs in every status.
      await env.sql('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      const names = (await readdir(MIGRATIONS_DIR)).filter((name) => /^\d/.test(name) && name < '20261129190000').sort();
      for (const name of [...names, 'migration_lock.toml']) await cp(join(MIGRATIONS_DIR, name), join(before, name), { recursive: true });
      await migrate(env.databaseUrl, { log: () => undefined, migrationsDir: before });
      for (const [owner, status] of [['ann', 'QUEUED'], ['ann', 'RUNNING'], ['ann', 'SUCCEEDED'], ['bob', 'FAILED'], ['cy', 'QUEUED']]) {
        await env.sql(
          `INSERT INTO jobs (id, owner_id, status, media_type, size_bytes, original_key, updated_at)
           VALUES (gen_random_uuid(), $1, $2::"JobStatus", 'image/png', 1, 'k', now())`,
          [owner, status],
        );
      }

      await migrate(env.databaseUrl, { log: () => undefined });

      expect(await env.sql('SELECT owner_id, unfinished FROM owner_unfinished_jobs ORDER BY owner_id')).toEqual([
        { owner_id: 'ann', unfinished: 2 },
        { owner_id: 'cy', unfinished: 1 },
      ]);
    } finally {
      await rm(before, { recursive: true, force: true });
      await env.cleanup();
    }
  });
});
