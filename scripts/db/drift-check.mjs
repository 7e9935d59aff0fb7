// Catches a schema.prisma change that has no migration: replays prisma/migrations into a
// throwaway shadow database and diffs the result against schema.prisma (what
// `prisma migrate diff --from-migrations ... --to-schema ... --exit-code` does).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATABASE_URL, MIGRATIONS_DIR, NO_FILTER, SCHEMA_FILE, errorText, readMigrations, redact, withSchemaEngine } from './schema-engine.mjs';

// Only the server matters: the shadow database is created (and dropped) through the
// maintenance database, so the application database need not exist.
export async function schemaDrift({ databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL, migrationsDir = MIGRATIONS_DIR } = {}) {
  const server = new URL(databaseUrl);
  server.pathname = '/postgres';
  const migrations = await readMigrations(migrationsDir);
  return withSchemaEngine(server.href, async (engine, schema) => {
    const { exitCode, stdout } = await engine.diff({
      from: { tag: 'migrations', ...migrations },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_FILE, content: schema }] },
      script: true,
      exitCode: true, // 2 = non-empty diff; the script itself is never empty (it says "empty migration")
      filters: NO_FILTER,
    });
    return exitCode === 2 ? (stdout ?? '') : '';
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  try {
    const drift = await schemaDrift({ databaseUrl });
    if (drift) {
      console.log(`schema.prisma differs from prisma/migrations; a new migration needs:\n\n${drift}`);
      process.exitCode = 1;
    } else {
      console.log('prisma/migrations match schema.prisma');
    }
  } catch (error) {
    console.error(`drift check failed (server ${redact(databaseUrl)}):\n${errorText(error, databaseUrl)}`);
    process.exitCode = 2;
  }
}
